"""The migrations build the tables the models describe, with the enums' check constraints."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from kamkor_common.db import create_engine, migrate
from kamkor_referral.main import MIGRATIONS
from kamkor_referral.models import metadata
from kamkor_referral.referrals.models import Referral, RoutingAttempt

TABLES = {
    "referrals",
    "routing_attempts",
    "organizations",
    "partner_services",
    "service_areas",
    "shelter_availability",
    "idempotency_keys",
    "outbox_messages",
    "inbox_messages",
    "consent_records",
    "contact_reads",
}


def _ours(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    if type_ == "table":
        return name in TABLES
    table = getattr(obj, "table", None)
    return table is None or table.name in TABLES


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_object": _ours}
    )
    return list(compare_metadata(context, metadata))


def _check_sql(model: Any, name: str) -> str:
    (constraint,) = [c for c in model.__table__.constraints if c.name == name]
    return str(constraint.sqltext)


async def _refuses_unknown_states(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        with pytest.raises(IntegrityError, match=r"ck_referrals_status|CHECK"):
            await connection.execute(
                text(
                    "INSERT INTO referrals (id, household_id, service_type, priority, status, "
                    "region, district, language, children_ages, source_flag_ids, created_at, "
                    "updated_at, reasons, attempts_count) VALUES ('x', 'h', 'legal_aid', "
                    "'stat', 'lost', 'KG-C', 'KG-C-01', 'ky', '[]', '[]', "
                    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '[]', 0)"
                )
            )
        await connection.rollback()


class TestMigrations:
    async def test_postgresql_matches_the_models_and_refuses_unknown_states(self, referral):
        engine = referral.database.engine
        async with engine.connect() as connection:
            assert await connection.run_sync(_differences) == []
        await _refuses_unknown_states(engine)

    async def test_sqlite_matches_the_models_and_refuses_unknown_states(self, tmp_path):
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/referral.db")
        try:
            await migrate(engine, MIGRATIONS)
            async with engine.connect() as connection:
                assert await connection.run_sync(_differences) == []
            await _refuses_unknown_states(engine)
        finally:
            await engine.dispose()

    def test_constraints_come_from_the_enums(self):
        status = _check_sql(Referral, "ck_referrals_status")
        assert "'entered_in_error'" in status and "'on_hold'" in status
        assert "'superseded'" in _check_sql(RoutingAttempt, "ck_routing_attempts_outcome")
        assert _check_sql(Referral, "ck_referrals_hold_status").startswith("hold_status IS NULL OR")

    def test_revisions_import_no_service_code(self):
        revisions = sorted((MIGRATIONS / "versions").glob("*.py"))
        assert revisions
        for revision in revisions:
            assert "import kamkor" not in revision.read_text(), revision.name
