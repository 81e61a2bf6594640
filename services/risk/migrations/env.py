"""Alembic environment of the risk service; run through kamkor_common.db.migrate."""

from kamkor_common.db import run_alembic_env
from kamkor_risk.models import metadata

run_alembic_env(metadata)
