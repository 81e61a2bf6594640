"""The visit recorded event: coded observations and facts, never the worker's notes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.events.envelope import CloudEvent
from kamkor_common.events.schemas.registry import VISIT_RECORDED, VisitRecorded
from kamkor_common.indicators.schemas import AnswerValue
from kamkor_common.messaging.outbox import stage
from kamkor_registry.households.events import member_facts
from kamkor_registry.households.models import Household
from kamkor_registry.households.repository import Membership
from kamkor_registry.visits.models import HomeVisit


def stage_visit_recorded(
    session: AsyncSession,
    *,
    visit: HomeVisit,
    household: Household,
    current: Sequence[Membership],
    indicators: Mapping[str, AnswerValue],
) -> CloudEvent:
    """`kamkor.registry.visit.recorded.v1`, keyed by the household id."""
    data = VisitRecorded(
        visit_id=visit.id,
        household_id=household.id,
        round=visit.round,
        visited_on=visit.visited_on,
        worker=visit.worker,
        region=household.region,
        district=household.district,
        language=household.language,
        members=member_facts(current),
        observations=dict(visit.observations),
        facts=dict(visit.facts),
        indicators=dict(indicators),
    )
    return stage(session, VISIT_RECORDED, data, correlation_id=visit.id)
