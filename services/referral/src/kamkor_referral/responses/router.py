"""HTTP routes for partner systems: their own referrals, as a summary, to accept or reject."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime

from kamkor_common.auth import Principal, require_roles
from kamkor_common.db import SessionDep
from kamkor_common.pagination import PageParams, page_params
from kamkor_referral.config import ReferralSettings
from kamkor_referral.needs import service as needs_service
from kamkor_referral.needs.schemas import NeedsMapping
from kamkor_referral.referrals.schemas import (
    PartnerReferralList,
    PartnerReferralRead,
    ReferralReject,
)
from kamkor_referral.referrals.states import ReferralStatus
from kamkor_referral.responses import service

router = APIRouter(prefix="/partner/v1/referrals", tags=["partner referrals"])

Partner = Annotated[Principal, Depends(require_roles("partner"))]


async def get_settings(request: Request) -> ReferralSettings:
    """The settings the app was built with (routing)."""
    settings: ReferralSettings = request.app.state.settings
    return settings


Settings = Annotated[ReferralSettings, Depends(get_settings)]


async def get_mapping(settings: Settings) -> NeedsMapping:
    """The needs mapping the app's settings name (which bed category a shelter type needs)."""
    return needs_service.load_mapping(settings.NEEDS_MAPPING_VERSION)


Mapping = Annotated[NeedsMapping, Depends(get_mapping)]


@router.get("", response_model=PartnerReferralList)
async def list_referrals(
    session: SessionDep,
    principal: Partner,
    page: Annotated[PageParams, Depends(page_params)],
    status: Annotated[
        ReferralStatus | None,
        Query(description="As you see it: a referral you declined stays `rejected`."),
    ] = None,
    changed_since: Annotated[
        AwareDatetime | None,
        Query(description="Only what changed after this moment, least recently changed first."),
    ] = None,
) -> PartnerReferralList:
    """Every referral your organisation was asked to take, newest first; poll with
    `changed_since`."""
    return await service.partner_list(
        session=session,
        principal=principal,
        status=status,
        changed_since=changed_since,
        page=page,
    )


@router.get("/{referral_id}", response_model=PartnerReferralRead)
async def get_referral(
    referral_id: str, session: SessionDep, principal: Partner
) -> PartnerReferralRead:
    """One referral your organisation was asked to take, with the time your answer is due."""
    return await service.partner_get(session=session, principal=principal, referral_id=referral_id)


@router.post("/{referral_id}/accept", response_model=PartnerReferralRead)
async def accept_referral(
    referral_id: str, session: SessionDep, principal: Partner
) -> PartnerReferralRead:
    """Take the referral on while it is `requested`; a shelter referral once its bed is held."""
    return await service.accept(session=session, principal=principal, referral_id=referral_id)


@router.post("/{referral_id}/reject", response_model=PartnerReferralRead)
async def reject_referral(
    referral_id: str,
    reject_in: ReferralReject,
    session: SessionDep,
    principal: Partner,
    settings: Settings,
    mapping: Mapping,
) -> PartnerReferralRead:
    """Decline the referral with a reason; it moves on to the next partner."""
    return await service.reject(
        session=session,
        principal=principal,
        referral_id=referral_id,
        reject_in=reject_in,
        settings=settings,
        mapping=mapping,
    )
