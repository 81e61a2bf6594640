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


class TestScreening:
    async def test_a_visit_makes_at_most_one_screening_and_sources_are_known(
        self, risk_client: httpx.AsyncClient, risk_db: Database
    ) -> None:
        household_id, visit_id = str(uuid.uuid4()), str(uuid.uuid4())

        def visit_screening(**fields: str) -> Screening:
            return Screening(
                id=str(uuid.uuid4()),
                household_id=household_id,
                rule_set_version="2026.1",
                created_by="worker",
                **fields,
            )

        async with risk_db.sessionmaker() as session, session.begin():
            session.add(visit_screening(source="visit", visit_id=visit_id))
            # Screenings from the API have no visit: any number of them.
            session.add_all([visit_screening(), visit_screening()])

        async with risk_db.sessionmaker() as session:
            session.add(visit_screening(source="visit", visit_id=visit_id))
            with pytest.raises(IntegrityError, match="uq_screenings_visit_id"):
                await session.flush()
        async with risk_db.sessionmaker() as session:
            session.add(visit_screening(source="phone"))
            with pytest.raises(IntegrityError, match="ck_screenings_source"):
                await session.flush()
