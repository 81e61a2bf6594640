"""Alembic environment of the registry service; run through kamkor_common.db.migrate."""

from kamkor_common.db import run_alembic_env
from kamkor_registry.models import metadata

run_alembic_env(metadata)
