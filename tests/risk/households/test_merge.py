"""`kamkor.registry.household.merged.v1`: the merged household's history and open flags
move to the household kept."""

from __future__ import annotations

import uuid
from datetime import date

import httpx
from sqlalchemy import select
from sqlmodel import col

from kamkor_common.db import Database
from kamkor_common.events.envelope import CloudEvent
from kamkor_common.events.schemas import registry as registry_events
from kamkor_common.events.topics import REGISTRY_HOUSEHOLDS
from kamkor_common.messaging.producer import Producer
from kamkor_common.testing import wait_until
from kamkor_risk.households import handlers
from kamkor_risk.screenings.models import OPEN, RESOLVED, RiskFlag, Screening
from tests.risk.conftest import (
    JALAL_ABAD,
    household_registered,
    publish,
    read_household,
    register_household,
)


def _merged(kept_id: str, merged_id: str, children: list[date]) -> CloudEvent:
    return registry_events.HOUSEHOLD_MERGED.build(
        registry_events.HouseholdMerged(
            household_id=kept_id,
            merged_household_id=merged_id,
            version=4,
            region=JALAL_ABAD[0],
            district=JALAL_ABAD[1],
            language="ru",
            members=[
                registry_events.MemberSnapshot(
                    person_id=str(uuid.uuid4()),
                    role="child",
                    sex="female",
                    birth_date=born,
                    since=date(2026, 1, 10),
                )
                for born in children
            ],
        )
    )


async def _flag(database: Database, household_id: str, domain: str, severity: str) -> str:
    """An open flag (and the screening that opened it) stored as the screening service would."""
    screening_id, flag_id = str(uuid.uuid4()), str(uuid.uuid4())
    async with database.sessionmaker() as session, session.begin():
        session.add(
            Screening(
                id=screening_id,
                household_id=household_id,
                rule_set_version="test",
                created_by="worker",
            )
        )
        await session.flush()
        session.add(
            RiskFlag(
                id=flag_id,
                household_id=household_id,
                domain=domain,
                severity=severity,
                rule_set_version="test",
                last_screening_id=screening_id,
            )
        )
    return flag_id


async def _flags(database: Database, household_id: str) -> dict[str, tuple[str, str, str]]:
    """Flag id → (household, domain, status) of every flag that names the household."""
    async with database.sessionmaker() as session:
        rows = await session.scalars(
            select(RiskFlag).where(col(RiskFlag.household_id) == household_id)
        )
        return {f.id: (f.household_id, f.domain, f.status) for f in rows.all()}


async def _two_flagged_households(
    producer: Producer, risk_db: Database
) -> tuple[str, str, dict[str, str]]:
    kept = household_registered(children=[date(2018, 3, 1)])
    merged = household_registered(children=[date(2018, 3, 1)])
    await register_household(producer, risk_db, kept)
    await register_household(producer, risk_db, merged)
    kept_id, merged_id = kept.partitionkey, merged.partitionkey
    flags = {
        "kept_housing": await _flag(risk_db, kept_id, "housing", "medium"),
        "merged_housing": await _flag(risk_db, merged_id, "housing", "critical"),
        "merged_financial": await _flag(risk_db, merged_id, "financial", "high"),
        "kept_caregiving": await _flag(risk_db, kept_id, "caregiving", "high"),
        "merged_caregiving": await _flag(risk_db, merged_id, "caregiving", "high"),
    }
    return kept_id, merged_id, flags


class TestOnHouseholdMerged:
    async def test_flags_screenings_and_facts_move_to_the_kept_household(
        self, risk_client: httpx.AsyncClient, risk_db: Database, producer: Producer
    ) -> None:
        kept_id, merged_id, flags = await _two_flagged_households(producer, risk_db)

        await publish(
            producer,
            REGISTRY_HOUSEHOLDS,
            _merged(kept_id, merged_id, [date(2018, 3, 1), date(2021, 7, 9)]),
        )

        async def gone() -> bool:
            return await read_household(risk_db, merged_id) is None

        await wait_until(gone, timeout_s=30)
        kept = await read_household(risk_db, kept_id)
        assert kept is not None and kept.language == "ru"
        assert kept.children_birth_dates == ["2018-03-01", "2021-07-09"]
        assert await _flags(risk_db, merged_id) == {}
        moved = await _flags(risk_db, kept_id)
        # One open flag per domain: the more severe one, the kept household's on a tie.
        assert moved == {
            flags["kept_housing"]: (kept_id, "housing", RESOLVED),
            flags["merged_housing"]: (kept_id, "housing", OPEN),
            flags["merged_financial"]: (kept_id, "financial", OPEN),
            flags["kept_caregiving"]: (kept_id, "caregiving", OPEN),
            flags["merged_caregiving"]: (kept_id, "caregiving", RESOLVED),
        }
        async with risk_db.sessionmaker() as session:
            screenings = await session.scalars(
                select(Screening).where(col(Screening.household_id) == merged_id)
            )
            assert screenings.all() == []

    async def test_the_same_event_twice_changes_nothing_more(
        self, risk_client: httpx.AsyncClient, risk_db: Database, producer: Producer
    ) -> None:
        kept_id, merged_id, _ = await _two_flagged_households(producer, risk_db)
        event = _merged(kept_id, merged_id, [date(2018, 3, 1)])

        async with risk_db.sessionmaker() as session, session.begin():
            await handlers.on_household_merged(session=session, event=event)
        once = await _flags(risk_db, kept_id)
        async with risk_db.sessionmaker() as session, session.begin():
            await handlers.on_household_merged(session=session, event=event)

        assert await _flags(risk_db, kept_id) == once
        assert len(once) == 5
        assert [status for _, _, status in once.values()].count(OPEN) == 3
        assert await read_household(risk_db, merged_id) is None
