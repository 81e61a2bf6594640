"""Referrals as staff read them: where each stands, who has it, and why."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.auth import PlaceScope, Principal
from kamkor_common.errors import NotFound
from kamkor_common.pagination import PageParams
from kamkor_referral.directory import repository as directory_repository
from kamkor_referral.referrals import repository
from kamkor_referral.referrals.models import Referral
from kamkor_referral.referrals.schemas import (
    AttemptRead,
    PartnerRef,
    ReferralList,
    ReferralRead,
    StatusStep,
)


class ReferralNotFound(NotFound):
    code = "referral_not_found"
    title = "Referral not found"


async def list_referrals(
    *,
    session: AsyncSession,
    principal: Principal,
    household_id: str | None,
    status: str | None,
    service_type: str | None,
    page: PageParams,
) -> ReferralList:
    """Referrals of the places the principal may see, newest first."""
    referrals, total = await repository.list_referrals(
        session,
        household_id=household_id,
        status=status,
        service_type=service_type,
        scope=principal.place_scope(),
        limit=page.limit,
        offset=page.offset,
    )
    return ReferralList(
        items=await read(session, referrals), total=total, limit=page.limit, offset=page.offset
    )


async def get_referral(
    *, session: AsyncSession, principal: Principal, referral_id: str
) -> ReferralRead:
    """One referral with its attempts and reasons; outside the principal's reach it is absent."""
    scope: PlaceScope = principal.place_scope()
    referral = await repository.get(session, referral_id)
    if referral is None or not scope.allows(referral.region, referral.district):
        raise ReferralNotFound(f"no referral {referral_id}")
    return (await read(session, [referral]))[0]


async def read(session: AsyncSession, referrals: Sequence[Referral]) -> list[ReferralRead]:
    attempts = await repository.attempts_of(session, [r.id for r in referrals])
    organizations, services = await directory_repository.names(
        session,
        organization_ids=[r.organization_id for r in referrals if r.organization_id],
        service_ids=[r.service_id for r in referrals if r.service_id],
    )
    return [
        ReferralRead(
            id=referral.id,
            household_id=referral.household_id,
            service_type=referral.service_type,
            priority=referral.priority,
            status=referral.status,
            region=referral.region,
            district=referral.district,
            language=referral.language,
            children_ages=referral.children_ages,
            source_flag_ids=referral.source_flag_ids,
            partner=(
                PartnerRef(
                    organization_id=referral.organization_id,
                    service_id=referral.service_id,
                    name=organizations.get(referral.organization_id, referral.organization_id),
                    service_name=services.get(referral.service_id),
                )
                if referral.organization_id is not None and referral.service_id is not None
                else None
            ),
            shelter_id=referral.shelter_id,
            hold_status=referral.hold_status,
            attempts=[
                AttemptRead(
                    number=a.number,
                    organization_id=a.organization_id,
                    service_id=a.service_id,
                    shelter_id=a.shelter_id,
                    outcome=a.outcome,
                    reason=a.reason,
                    created_at=a.created_at,
                    response_due_at=a.response_due_at,
                    reminded_at=a.reminded_at,
                    decided_at=a.decided_at,
                )
                for a in attempts.get(referral.id, [])
            ],
            reasons=referral.reasons,
            history=[StatusStep.model_validate(step) for step in referral.history],
            created_at=referral.created_at,
            updated_at=referral.updated_at,
        )
        for referral in referrals
    ]


async def organization_name(session: AsyncSession, referral: Referral) -> str:
    """The name of the organisation the referral is addressed to now."""
    if referral.organization_id is None:
        return "nobody"
    organizations, _ = await directory_repository.names(
        session, organization_ids=[referral.organization_id], service_ids=[]
    )
    return organizations.get(referral.organization_id, referral.organization_id)
