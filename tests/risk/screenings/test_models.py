"""The schema the migrations build on PostgreSQL keeps its guarantees without the service."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy.exc import IntegrityError

from kamkor_common.db import Database
from kamkor_risk.screenings.models import OPEN, RESOLVED, RiskFlag, Screening


def _flag(household_id: str, screening_id: str, status: str) -> RiskFlag:
    return RiskFlag(
        id=str(uuid.uuid4()),
        household_id=household_id,
        domain="housing",
        severity="high",
        status=status,
        rule_set_version="2026.1",
        last_screening_id=screening_id,
    )


class TestRiskFlag:
    async def test_one_open_flag_per_household_and_domain(
        self, risk_client: httpx.AsyncClient, risk_db: Database
    ) -> None:
        household_id = str(uuid.uuid4())
        screening = Screening(
            id=str(uuid.uuid4()),
            household_id=household_id,
            rule_set_version="2026.1",
            created_by="test-user",
        )
        async with risk_db.sessionmaker() as session, session.begin():
            session.add(screening)
            await session.flush()
            # Resolved flags may pile up beside the open one.
            session.add_all(
                [
                    _flag(household_id, screening.id, RESOLVED),
                    _flag(household_id, screening.id, RESOLVED),
                    _flag(household_id, screening.id, OPEN),
                ]
            )

        async with risk_db.sessionmaker() as session:
            session.add(_flag(household_id, screening.id, OPEN))
            with pytest.raises(IntegrityError, match="uq_risk_flags_open_household_domain"):
                await session.flush()
