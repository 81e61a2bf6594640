"""Handing a family's contact details to the partner that took its referral."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.auth import Principal
from kamkor_common.errors import Conflict, Forbidden
from kamkor_referral.consents import service as consents_service
from kamkor_referral.contacts import repository
from kamkor_referral.contacts.client import RegistryClient
from kamkor_referral.contacts.models import ContactRead
from kamkor_referral.contacts.schemas import ContactPerson, FamilyContact, SharingBasis
from kamkor_referral.referrals.states import ReferralStatus
from kamkor_referral.responses import service as responses_service

# The partner is working with the family: it has accepted and not yet closed the referral.
CONTACT_STATES = frozenset(
    {ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS, ReferralStatus.ON_HOLD}
)
PURPOSE = "referral_contact"


class ReferralNotAccepted(Conflict):
    code = "referral_not_accepted"
    title = "Contact details are given only once the referral is accepted"


class ConsentRequired(Forbidden):
    code = "consent_required"
    title = "No consent or legal basis to share the family's contact details is on record"


async def get_contact(
    *,
    session: AsyncSession,
    principal: Principal,
    referral_id: str,
    registry: RegistryClient,
) -> FamilyContact:
    """The family's contact details, read from the registry and audited, if sharing is allowed."""
    referral = await responses_service.partners_referral(session, principal, referral_id)
    if referral.status not in CONTACT_STATES:
        raise ReferralNotAccepted(
            f"the referral is {referral.status}; contact details are given while it is "
            "accepted, in progress or on hold"
        )
    basis = await consents_service.sharing_basis(
        session=session, household_id=referral.household_id
    )
    if basis is None:
        raise ConsentRequired(
            "the family has not consented to sharing its contact details, and no legal "
            "basis is on record; ask the social worker to record one",
            household_id=referral.household_id,
        )
    household = await registry.get_household(referral.household_id)
    await repository.add(
        session,
        ContactRead(
            referral_id=referral.id,
            household_id=referral.household_id,
            subject=principal.subject,
            role=principal.role,
            organization_id=principal.organization_id,
            purpose=PURPOSE,
            consent_id=basis.consent_id,
        ),
    )
    return FamilyContact(
        referral_id=referral.id,
        household_id=referral.household_id,
        settlement=household.settlement,
        address=household.address,
        phone=household.phone,
        language=household.language,
        contacts=[
            ContactPerson.model_validate(member, from_attributes=True)
            for member in household.members
            if member.role != "child"
        ],
        basis=SharingBasis.model_validate(basis, from_attributes=True),
    )
