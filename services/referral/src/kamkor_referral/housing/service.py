"""The shelters' answers to the referral's bed hold requests."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.db import utcnow
from kamkor_common.events.envelope import CloudEvent
from kamkor_common.events.schemas.shelter import (
    HoldConfirmed,
    HoldPlaced,
    HoldRejected,
    HoldReleased,
)
from kamkor_referral.config import ReferralSettings
from kamkor_referral.needs import service as needs_service
from kamkor_referral.needs.schemas import NeedsMapping
from kamkor_referral.placement import service as placement_service
from kamkor_referral.referrals import events, journal, repository
from kamkor_referral.referrals.states import AttemptOutcome, HoldStatus, ReferralStatus

log = logging.getLogger("kamkor.referral.housing")


async def record_hold_placed(*, session: AsyncSession, placed: HoldPlaced) -> None:
    """The shelter holds the bed the referral asked for."""
    referral = await repository.get(session, placed.referral_id, for_update=True)
    if referral is None or referral.shelter_id != placed.shelter_id:
        # Our earlier release request for that shelter follows on the same key.
        log.info(
            "hold %s for referral %s is not current; ignored", placed.hold_id, placed.referral_id
        )
        return
    if referral.hold_status != HoldStatus.REQUESTED:
        log.info("hold %s arrived while the hold is %s", placed.hold_id, referral.hold_status)
        return
    referral.hold_status = HoldStatus.HELD
    journal.note(
        referral,
        f"bed hold {placed.hold_id} placed at shelter {placed.shelter_id} ({placed.category}) "
        f"until {placed.expires_at:%Y-%m-%d %H:%M} UTC",
    )


async def record_hold_confirmed(*, session: AsyncSession, confirmed: HoldConfirmed) -> None:
    """The family arrived at the shelter: the held bed is occupied now."""
    referral = await repository.get(session, confirmed.referral_id, for_update=True)
    if referral is None or referral.shelter_id != confirmed.shelter_id:
        log.info(
            "arrival for referral %s at shelter %s is not current; ignored",
            confirmed.referral_id,
            confirmed.shelter_id,
        )
        return
    referral.hold_status = HoldStatus.CONFIRMED
    journal.note(
        referral,
        f"family arrived at shelter {confirmed.shelter_id}: bed hold {confirmed.hold_id} "
        f"confirmed ({confirmed.beds} {confirmed.category} bed(s))",
    )


async def record_hold_rejected(
    *,
    session: AsyncSession,
    rejected: HoldRejected,
    cause: CloudEvent,
    mapping: NeedsMapping,
    settings: ReferralSettings,
) -> None:
    """The shelter cannot hold a bed: try the next shelter or partner as a new attempt.

    Only an answer to the bed the referral is waiting for counts: once the partner has
    accepted, or the referral has moved to another shelter, a rejection is stale.
    """
    referral = await repository.get(session, rejected.referral_id, for_update=True)
    if (
        referral is None
        or referral.status != ReferralStatus.REQUESTED
        or referral.shelter_id != rejected.shelter_id
        or referral.hold_status != HoldStatus.REQUESTED
    ):
        log.info("hold rejection for referral %s is not current; ignored", rejected.referral_id)
        return
    attempt = await repository.current_attempt(session, referral)
    if attempt is not None:
        attempt.outcome = AttemptOutcome.HOLD_REJECTED
        attempt.reason = f"shelter {rejected.shelter_id} could not hold a bed: {rejected.reason}"
        attempt.decided_at = utcnow()
    referral.hold_status = HoldStatus.REJECTED
    journal.note(
        referral,
        f"shelter {rejected.shelter_id} could not hold a {rejected.category} bed: "
        f"{rejected.reason}",
    )
    await placement_service.route(
        session,
        referral,
        because=events.hold_rejected(rejected.reason),
        cause=cause,
        mapping=mapping,
        settings=settings,
    )


async def record_hold_released(
    *,
    session: AsyncSession,
    released: HoldReleased,
    cause: CloudEvent,
    mapping: NeedsMapping,
) -> None:
    """The shelter let the held bed go (expired or released).

    While the partner has not answered yet, the family still needs that bed: the same
    shelter is asked again (a rejection then moves the referral on, as for a first request).
    """
    referral = await repository.get(session, released.referral_id, for_update=True)
    if (
        referral is None
        or referral.shelter_id != released.shelter_id
        or referral.hold_status != HoldStatus.HELD
    ):
        log.info("hold %s release for referral %s ignored", released.hold_id, released.referral_id)
        return
    referral.hold_status = HoldStatus.RELEASED
    journal.note(
        referral,
        f"bed hold {released.hold_id} at shelter {released.shelter_id} released: {released.reason}",
    )
    category = referral.hold_category or needs_service.shelter_category(
        service_type=referral.service_type, mapping=mapping
    )
    if referral.status == ReferralStatus.REQUESTED and category is not None:
        placement_service.ask_for_bed(
            session, referral, shelter_id=released.shelter_id, category=category, cause=cause
        )
        journal.note(referral, f"bed asked for again at shelter {released.shelter_id}")
    await session.flush()
