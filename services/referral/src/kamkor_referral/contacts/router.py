"""`GET /partner/v1/referrals/{id}/contact`: the family's contact details, consent permitting."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from kamkor_common.auth import Principal, require_roles
from kamkor_common.db import SessionDep
from kamkor_referral.contacts import service
from kamkor_referral.contacts.client import RegistryClientDep, registry_client_lifespan
from kamkor_referral.contacts.schemas import FamilyContact

router = APIRouter(
    prefix="/partner/v1/referrals", tags=["partner referrals"], lifespan=registry_client_lifespan
)

Partner = Annotated[Principal, Depends(require_roles("partner"))]


@router.get("/{referral_id}/contact", response_model=FamilyContact)
async def get_contact(
    referral_id: str, session: SessionDep, principal: Partner, registry: RegistryClientDep
) -> FamilyContact:
    """The family's contact details once you have accepted, where a consent or legal basis
    is on record (else `403 consent_required`); every read is audited."""
    return await service.get_contact(
        session=session, principal=principal, referral_id=referral_id, registry=registry
    )
