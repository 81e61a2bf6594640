"""Alembic environment of the gateway; run through kamkor_common.db.migrate."""

from kamkor_common.db import run_alembic_env
from kamkor_gateway.models import metadata

run_alembic_env(metadata)
