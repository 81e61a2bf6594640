"""`kamkor.registry.visit.recorded.v1`: a recorded home visit is screened automatically."""

from __future__ import annotations

import uuid
from datetime import date

import httpx
from sqlalchemy import select
from sqlmodel import col

from kamkor_common.db import Database
from kamkor_common.events.envelope import CloudEvent
from kamkor_common.events.schemas import registry as registry_events
from kamkor_common.events.schemas import risk as risk_events
from kamkor_common.events.topics import REGISTRY_HOUSEHOLDS, RISK_FLAGS
from kamkor_common.indicators.schemas import AnswerValue
from kamkor_common.messaging.broker import EmbeddedBroker
from kamkor_common.messaging.dlq import list_dead_letters
from kamkor_common.messaging.producer import Producer
from kamkor_common.testing import wait_until
from kamkor_risk.screenings.models import OPEN, RiskFlag, Screening
from tests.risk.conftest import JALAL_ABAD, auth, events_for, publish, read_household


def visit_recorded(
    household_id: str,
    indicators: dict[str, AnswerValue],
    *,
    visit_id: str | None = None,
) -> CloudEvent:
    """A visit event as the registry stages it, for a grandmother and two children."""
    members = [
        registry_events.MemberFacts(
            person_id=str(uuid.uuid4()), role="grandparent", sex="female", birth_date=born
        )
        for born in (date(1954, 2, 1),)
    ] + [
        registry_events.MemberFacts(
            person_id=str(uuid.uuid4()), role="child", sex="male", birth_date=born
        )
        for born in (date(2015, 6, 1), date(2019, 3, 4))
    ]
    return registry_events.VISIT_RECORDED.build(
        registry_events.VisitRecorded(
            visit_id=visit_id or str(uuid.uuid4()),
            household_id=household_id,
            round="2026-H2",
            visited_on=date(2026, 11, 30),
            worker="worker-7",
            region=JALAL_ABAD[0],
            district=JALAL_ABAD[1],
            language="ky",
            members=members,
            observations=indicators,
            facts={},
            indicators=indicators,
        )
    )


async def screenings_of(database: Database, household_id: str) -> list[Screening]:
    async with database.sessionmaker() as session:
        rows = await session.scalars(
            select(Screening)
            .where(col(Screening.household_id) == household_id)
            .order_by(col(Screening.created_at))
        )
        return list(rows.all())


async def wait_for_screenings(database: Database, household_id: str, count: int) -> None:
    async def arrived() -> bool:
        return len(await screenings_of(database, household_id)) >= count

    await wait_until(arrived, timeout_s=30)


class TestOnVisitRecorded:
    async def test_a_visit_is_screened_with_flags_and_events_as_a_screening_call(
        self,
        risk_client: httpx.AsyncClient,
        risk_db: Database,
        producer: Producer,
        broker: EmbeddedBroker,
    ) -> None:
        household_id = str(uuid.uuid4())  # never registered: the visit brings its facts
        event = visit_recorded(household_id, {"eviction_notice_days": 4})

        await publish(producer, REGISTRY_HOUSEHOLDS, event)
        await wait_for_screenings(risk_db, household_id, 1)

        (screening,) = await screenings_of(risk_db, household_id)
        assert (screening.source, screening.visit_id) == ("visit", event.data["visit_id"])
        assert screening.created_by == "worker-7"
        assert screening.answers == {"eviction_notice_days": 4}
        household = await read_household(risk_db, household_id)
        assert household is not None
        assert household.children_birth_dates == ["2015-06-01", "2019-03-04"]
        async with risk_db.sessionmaker() as session:
            flags = (
                await session.scalars(
                    select(RiskFlag).where(col(RiskFlag.household_id) == household_id)
                )
            ).all()
        assert [(f.domain, f.severity, f.status) for f in flags] == [("housing", "critical", OPEN)]

        read = await risk_client.get(
            f"/api/v1/risk/screenings/{screening.id}", headers=auth("social_worker")
        )
        assert read.status_code == 200, read.text
        assert (read.json()["source"], read.json()["visit_id"]) == (
            "visit",
            event.data["visit_id"],
        )

        published = await events_for(
            broker.bootstrap,
            RISK_FLAGS,
            household_id,
            until=lambda found: any(e.type == risk_events.FAMILY_FLAGGED.type for e in found),
        )
        flagged = next(e for e in published if e.type == risk_events.FAMILY_FLAGGED.type)
        assert flagged.data["screening_id"] == screening.id
        assert [d["domain"] for d in flagged.data["domains"]] == ["housing"]
        # The flag follows from the visit: one correlation from the registry on.
        assert flagged.causationid == event.id
        assert flagged.correlationid == event.correlationid

    async def test_a_visit_delivered_again_is_screened_once(
        self, risk_client: httpx.AsyncClient, risk_db: Database, producer: Producer
    ) -> None:
        household_id = str(uuid.uuid4())
        visit_id = str(uuid.uuid4())
        first = visit_recorded(household_id, {"homeless_now": True}, visit_id=visit_id)
        # A replay from another outbox copy: a new event id, the same visit.
        again = visit_recorded(household_id, {"homeless_now": True}, visit_id=visit_id)
        later = visit_recorded(household_id, {"overcrowded": True})

        for event in (first, first, again, later):
            await publish(producer, REGISTRY_HOUSEHOLDS, event)
        # One key, one partition, in order: once the later visit is in, the others were handled.
        await wait_for_screenings(risk_db, household_id, 2)

        screenings = await screenings_of(risk_db, household_id)
        assert sorted(s.visit_id or "" for s in screenings) == sorted(
            [visit_id, later.data["visit_id"]]
        )

    async def test_a_visit_with_nothing_to_weigh_is_not_screened(
        self, risk_client: httpx.AsyncClient, risk_db: Database, producer: Producer
    ) -> None:
        household_id = str(uuid.uuid4())
        notes_only = visit_recorded(household_id, {})
        later = visit_recorded(household_id, {"overcrowded": True})

        for event in (notes_only, later):
            await publish(producer, REGISTRY_HOUSEHOLDS, event)
        await wait_for_screenings(risk_db, household_id, 1)

        (screening,) = await screenings_of(risk_db, household_id)
        assert screening.visit_id == later.data["visit_id"]

    async def test_indicators_unknown_here_go_to_the_dlq_at_once_and_the_next_visit_is_screened(
        self,
        risk_client: httpx.AsyncClient,
        risk_db: Database,
        producer: Producer,
        broker: EmbeddedBroker,
    ) -> None:
        household_id = str(uuid.uuid4())
        unknown = visit_recorded(household_id, {"roof_leaks": True})
        later = visit_recorded(household_id, {"overcrowded": True})

        for event in (unknown, later):
            await publish(producer, REGISTRY_HOUSEHOLDS, event)
        await wait_for_screenings(risk_db, household_id, 1)

        (screening,) = await screenings_of(risk_db, household_id)
        assert screening.visit_id == later.data["visit_id"]
        letters = await list_dead_letters(broker.bootstrap, "risk-households")
        (letter,) = [d for d in letters if d.event_id == unknown.id]
        assert "PermanentError" in letter.error and "roof_leaks" in letter.error
