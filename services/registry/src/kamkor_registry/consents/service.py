"""The rules of recording and withdrawing consents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.auth import Principal
from kamkor_common.db import utcnow
from kamkor_common.errors import NotFound, Unprocessable
from kamkor_common.events import topics
from kamkor_common.messaging import outbox
from kamkor_common.pagination import PageParams
from kamkor_common.reference.regions import local_today
from kamkor_registry.audit import service as audit_service
from kamkor_registry.audit.models import AuditAction
from kamkor_registry.consents import events, repository
from kamkor_registry.consents.models import Consent, ConsentScope
from kamkor_registry.consents.schemas import ConsentCreate, ConsentList, ConsentRead
from kamkor_registry.households import repository as households_repository
from kamkor_registry.households import service as households_service

# A phone's clock may run a little ahead; more than this is a mistake, not skew.
CLOCK_SKEW = timedelta(minutes=5)


class ConsentNotFound(NotFound):
    code = "consent_not_found"
    title = "Consent not found"


class ConsentGiverMissing(Unprocessable):
    code = "consent_giver_missing"
    title = "Say who gave the consent, or the legal basis"


class ConsentGiverNotMember(Unprocessable):
    code = "consent_giver_not_member"
    title = "The person who gave the consent is not a member of the household"


class InvalidConsentDates(Unprocessable):
    code = "invalid_consent_dates"
    title = "Invalid consent dates"


def _aware(moment: datetime) -> datetime:
    # A time without a zone is read as UTC, as the database stores it.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def is_active(consent: Consent, *, now: datetime) -> bool:
    """Given, not withdrawn, not expired."""
    return (
        consent.withdrawn_at is None
        and consent.given_at <= now + CLOCK_SKEW
        and (consent.expires_at is None or consent.expires_at > now)
    )


def to_read(consent: Consent, *, now: datetime) -> ConsentRead:
    return ConsentRead.model_validate(
        {**consent.model_dump(), "active": is_active(consent, now=now)}
    )


async def _check_giver(
    session: AsyncSession, *, household_id: str, consent_in: ConsentCreate
) -> None:
    if consent_in.person_id is None and consent_in.given_by_name is None:
        if consent_in.legal_basis is None:
            raise ConsentGiverMissing(
                "give person_id or given_by_name, or a legal_basis when the law allows the "
                "sharing without consent",
                field="person_id",
            )
        return
    if consent_in.person_id is None:
        return
    members = await households_repository.list_memberships(session, [household_id])
    today = local_today()
    current = {
        person.id
        for member, person in members[household_id]
        if member.until is None or member.until > today
    }
    if consent_in.person_id not in current:
        raise ConsentGiverNotMember(
            f"person {consent_in.person_id} is not a current member of household {household_id}",
            field="person_id",
        )


def _dates(consent_in: ConsentCreate, *, now: datetime) -> tuple[datetime, datetime | None]:
    given_at = _aware(consent_in.given_at) if consent_in.given_at is not None else now
    expires_at = _aware(consent_in.expires_at) if consent_in.expires_at is not None else None
    if given_at > now + CLOCK_SKEW:
        raise InvalidConsentDates("given_at is in the future", field="given_at")
    if expires_at is not None and expires_at <= given_at:
        raise InvalidConsentDates("expires_at must be after given_at", field="expires_at")
    return given_at, expires_at


async def record_consent(
    *,
    session: AsyncSession,
    household_id: str,
    consent_in: ConsentCreate,
    principal: Principal,
    purpose: str | None,
) -> ConsentRead:
    """Record a consent (or a legal basis) for a household and stage consent recorded."""
    await households_service.household_in_scope(
        session=session, household_id=household_id, principal=principal
    )
    await _check_giver(session, household_id=household_id, consent_in=consent_in)
    now = utcnow()
    given_at, expires_at = _dates(consent_in, now=now)
    consent = Consent(
        household_id=household_id,
        person_id=consent_in.person_id,
        given_by_name=consent_in.given_by_name,
        scope=ConsentScope(consent_in.scope),
        legal_basis=consent_in.legal_basis,
        given_at=given_at,
        expires_at=expires_at,
        recorded_by=principal.subject,
        recorded_at=now,
    )
    await repository.add_consent(session, consent)
    _audit(session, principal, AuditAction.create, consent, purpose)
    outbox.add_event(session, topics.REGISTRY_HOUSEHOLDS, events.consent_recorded(consent))
    return to_read(consent, now=now)


async def withdraw_consent(
    *,
    session: AsyncSession,
    household_id: str,
    consent_id: str,
    principal: Principal,
    purpose: str | None,
) -> ConsentRead:
    """Withdraw a consent and stage consent withdrawn; withdrawing it again changes nothing."""
    await households_service.household_in_scope(
        session=session, household_id=household_id, principal=principal, for_update=True
    )
    consent = await repository.get_consent(session, consent_id, for_update=True)
    if consent is None or consent.household_id != household_id:
        raise ConsentNotFound(f"no consent {consent_id} for household {household_id}")
    now = utcnow()
    # A second withdrawal (a retry from a poor connection) answers the first one's result.
    if consent.withdrawn_at is None:
        consent.withdrawn_at = now
        consent.withdrawn_by = principal.subject
        await session.flush()
        _audit(session, principal, AuditAction.withdraw, consent, purpose)
        outbox.add_event(session, topics.REGISTRY_HOUSEHOLDS, events.consent_withdrawn(consent))
    return to_read(consent, now=now)


async def list_consents(
    *,
    session: AsyncSession,
    household_id: str,
    principal: Principal,
    scope: ConsentScope | None,
    page: PageParams,
    purpose: str | None,
) -> ConsentList:
    """A household's consents, newest first."""
    await households_service.household_in_scope(
        session=session, household_id=household_id, principal=principal
    )
    consents, total = await repository.list_consents(
        session,
        household_id=household_id,
        scope=scope.value if scope is not None else None,
        limit=page.limit,
        offset=page.offset,
    )
    audit_service.record(
        session=session,
        principal=principal,
        action=AuditAction.read,
        touched=[("consent", c.id, household_id, c.person_id) for c in consents],
        purpose=purpose,
    )
    now = utcnow()
    return ConsentList(
        items=[to_read(c, now=now) for c in consents],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


def _audit(
    session: AsyncSession,
    principal: Principal,
    action: AuditAction,
    consent: Consent,
    purpose: str | None,
) -> None:
    audit_service.record(
        session=session,
        principal=principal,
        action=action,
        touched=[("consent", consent.id, consent.household_id, consent.person_id)],
        purpose=purpose,
    )
