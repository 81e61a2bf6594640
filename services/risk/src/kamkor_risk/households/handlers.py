"""Consumer group `risk-households` on `registry.households.v1`: the household read model,
and the screening of recorded home visits."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.events.envelope import CloudEvent
from kamkor_common.events.schemas import registry as registry_events
from kamkor_common.events.topics import REGISTRY_HOUSEHOLDS
from kamkor_common.indicators.validation import InvalidAnswers
from kamkor_common.messaging.consumer import ConsumerSpec, PermanentError
from kamkor_risk.households import service
from kamkor_risk.screenings import service as screenings_service


async def on_household_registered(*, session: AsyncSession, event: CloudEvent) -> None:
    registered = registry_events.HouseholdRegistered.model_validate(event.data)
    await service.record_snapshot(session=session, snapshot=registered)


async def on_household_merged(*, session: AsyncSession, event: CloudEvent) -> None:
    """A duplicate household merged into another: its history and open flags move there."""
    merged = registry_events.HOUSEHOLD_MERGED.parse(event)
    await service.record_merged(session=session, merged=merged)


async def on_visit_recorded(*, session: AsyncSession, event: CloudEvent) -> None:
    """A home visit recorded in the registry is screened, as a screening call would be."""
    visit = registry_events.VISIT_RECORDED.parse(event)
    try:
        await screenings_service.screen_visit(session=session, visit=visit, cause=event)
    except InvalidAnswers as exc:
        # Indicators this process does not know (a newer vocabulary): retrying cannot help.
        raise PermanentError(f"visit {visit.visit_id}: {exc}") from exc


CONSUMER = ConsumerSpec(
    group_id="risk-households",
    topics=[REGISTRY_HOUSEHOLDS],
    handlers={
        registry_events.HOUSEHOLD_REGISTERED.type: on_household_registered,
        registry_events.HOUSEHOLD_MERGED.type: on_household_merged,
        registry_events.VISIT_RECORDED.type: on_visit_recorded,
    },
)
