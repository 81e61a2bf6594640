"""Partner webhook endpoints: who may manage them, their secrets, their deliveries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.auth import Principal
from kamkor_common.db import utcnow
from kamkor_common.errors import Conflict, Forbidden, NotFound
from kamkor_common.events.envelope import CloudEvent
from kamkor_common.pagination import PageParams
from kamkor_referral.config import ReferralSettings
from kamkor_referral.ids import new_id
from kamkor_referral.webhooks import payloads, repository
from kamkor_referral.webhooks.models import (
    DeliveryStatus,
    EndpointStatus,
    WebhookDelivery,
    WebhookEndpoint,
)
from kamkor_referral.webhooks.schemas import (
    WebhookAttemptList,
    WebhookAttemptRead,
    WebhookDeliveryList,
    WebhookDeliveryRead,
    WebhookEndpointCreate,
    WebhookEndpointList,
    WebhookEndpointRead,
    WebhookEndpointSecret,
    WebhookEndpointUpdate,
)
from kamkor_referral.webhooks.signing import SecretBox, new_secret
from kamkor_referral.webhooks.validation import check_event_types, check_url

DISABLED_BY_USER = "disabled_by_user"
GONE = "gone: the endpoint answered 410"


class WebhookEndpointNotFound(NotFound):
    code = "webhook_endpoint_not_found"
    title = "No such webhook endpoint"


class WebhookDeliveryNotFound(NotFound):
    code = "webhook_delivery_not_found"
    title = "No such webhook delivery"


class OrganizationNotFound(NotFound):
    code = "organization_not_found"
    title = "No such partner organisation"


class WebhookEndpointDisabled(Conflict):
    code = "webhook_endpoint_disabled"
    title = "The webhook endpoint is disabled"


class WebhookEndpointLimit(Conflict):
    code = "webhook_endpoint_limit"
    title = "The organisation has as many webhook endpoints as allowed"


class OrganizationScopeMissing(Forbidden):
    code = "organization_scope_missing"
    title = "The token names no organisation"


def partner_organization(principal: Principal) -> str:
    """The organisation a partner token speaks for."""
    if not principal.organization_id:
        raise OrganizationScopeMissing("a partner token must name its organisation (`org`)")
    return principal.organization_id


def _authorize(principal: Principal, organization_id: str) -> None:
    """Admins manage any organisation's endpoints, a partner only its own."""
    if principal.role == "admin":
        return
    if principal.role == "partner" and principal.organization_id == organization_id:
        return
    raise Forbidden("only an admin or the organisation's own partner may manage its webhooks")


async def _organization_endpoint(
    session: AsyncSession, *, principal: Principal, organization_id: str, endpoint_id: str
) -> WebhookEndpoint:
    _authorize(principal, organization_id)
    endpoint = await repository.get_endpoint(
        session, organization_id=organization_id, endpoint_id=endpoint_id
    )
    if endpoint is None:
        raise WebhookEndpointNotFound(f"no webhook endpoint {endpoint_id} for this organisation")
    return endpoint


def _with_secret(endpoint: WebhookEndpoint, secret: str) -> WebhookEndpointSecret:
    read = WebhookEndpointRead.model_validate(endpoint)
    return WebhookEndpointSecret(**read.model_dump(), secret=secret)


async def create_endpoint(
    *,
    session: AsyncSession,
    principal: Principal,
    organization_id: str,
    endpoint_in: WebhookEndpointCreate,
    settings: ReferralSettings,
) -> WebhookEndpointSecret:
    """Register an endpoint; its secret is in this answer and never again."""
    _authorize(principal, organization_id)
    if not await repository.organization_exists(session, organization_id):
        raise OrganizationNotFound(f"no partner organisation {organization_id}")
    limit = settings.WEBHOOK_MAX_ENDPOINTS_PER_ORGANIZATION
    if await repository.count_endpoints(session, organization_id=organization_id) >= limit:
        raise WebhookEndpointLimit(f"an organisation has at most {limit} webhook endpoints")
    secret = new_secret()
    endpoint = WebhookEndpoint(
        organization_id=organization_id,
        url=check_url(endpoint_in.url, settings),
        description=endpoint_in.description,
        event_types=check_event_types(endpoint_in.event_types),
        secret_encrypted=SecretBox(settings.WEBHOOK_SECRETS_KEY).seal(secret),
    )
    repository.add(session, endpoint)
    await session.flush()
    return _with_secret(endpoint, secret)


async def list_endpoints(
    *, session: AsyncSession, principal: Principal, organization_id: str, page: PageParams
) -> WebhookEndpointList:
    _authorize(principal, organization_id)
    rows, total = await repository.list_endpoints(
        session, organization_id=organization_id, limit=page.limit, offset=page.offset
    )
    return WebhookEndpointList(
        items=[WebhookEndpointRead.model_validate(row) for row in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


async def get_endpoint(
    *, session: AsyncSession, principal: Principal, organization_id: str, endpoint_id: str
) -> WebhookEndpointRead:
    endpoint = await _organization_endpoint(
        session, principal=principal, organization_id=organization_id, endpoint_id=endpoint_id
    )
    return WebhookEndpointRead.model_validate(endpoint)


async def update_endpoint(
    *,
    session: AsyncSession,
    principal: Principal,
    organization_id: str,
    endpoint_id: str,
    endpoint_in: WebhookEndpointUpdate,
    settings: ReferralSettings,
) -> WebhookEndpointRead:
    """Change the URL, types or description, or disable / re-enable the endpoint."""
    endpoint = await _organization_endpoint(
        session, principal=principal, organization_id=organization_id, endpoint_id=endpoint_id
    )
    changes = endpoint_in.model_dump(exclude_unset=True)
    if changes.get("url") is not None:
        endpoint.url = check_url(changes["url"], settings)
    if changes.get("event_types") is not None:
        endpoint.event_types = check_event_types(changes["event_types"])
    if "description" in changes:
        endpoint.description = changes["description"]
    if changes.get("enabled") is True:
        endpoint.status, endpoint.disabled_reason = EndpointStatus.ENABLED, None
    elif changes.get("enabled") is False:
        endpoint.status = EndpointStatus.DISABLED
        endpoint.disabled_reason = changes.get("disabled_reason") or DISABLED_BY_USER
    endpoint.updated_at = utcnow()
    await session.flush()
    return WebhookEndpointRead.model_validate(endpoint)


async def delete_endpoint(
    *, session: AsyncSession, principal: Principal, organization_id: str, endpoint_id: str
) -> None:
    """Remove the endpoint with its deliveries and their log."""
    endpoint = await _organization_endpoint(
        session, principal=principal, organization_id=organization_id, endpoint_id=endpoint_id
    )
    await repository.delete_endpoint(session, endpoint)
    await session.flush()


async def rotate_secret(
    *,
    session: AsyncSession,
    principal: Principal,
    organization_id: str,
    endpoint_id: str,
    settings: ReferralSettings,
) -> WebhookEndpointSecret:
    """A new secret now; the current one keeps signing too until the overlap ends."""
    endpoint = await _organization_endpoint(
        session, principal=principal, organization_id=organization_id, endpoint_id=endpoint_id
    )
    now = utcnow()
    secret = new_secret()
    endpoint.previous_secret_encrypted = endpoint.secret_encrypted
    endpoint.previous_secret_expires_at = now + settings.webhook_secret_overlap
    endpoint.secret_encrypted = SecretBox(settings.WEBHOOK_SECRETS_KEY).seal(secret)
    endpoint.updated_at = now
    await session.flush()
    return _with_secret(endpoint, secret)


def secrets_in_force(endpoint: WebhookEndpoint, *, box: SecretBox, now: datetime) -> list[str]:
    """The secrets that sign a delivery now: the current one, and the previous in overlap."""
    found = [box.open(endpoint.secret_encrypted)]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret_encrypted and expires is not None and expires > now:
        found.append(box.open(endpoint.previous_secret_encrypted))
    return found


async def list_deliveries(
    *,
    session: AsyncSession,
    principal: Principal,
    organization_id: str,
    endpoint_id: str,
    status: DeliveryStatus | None,
    page: PageParams,
) -> WebhookDeliveryList:
    await _organization_endpoint(
        session, principal=principal, organization_id=organization_id, endpoint_id=endpoint_id
    )
    rows, total = await repository.list_deliveries(
        session, endpoint_id=endpoint_id, status=status, limit=page.limit, offset=page.offset
    )
    return WebhookDeliveryList(
        items=[WebhookDeliveryRead.model_validate(row) for row in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


async def list_attempts(
    *,
    session: AsyncSession,
    principal: Principal,
    organization_id: str,
    endpoint_id: str,
    delivery_id: str | None,
    page: PageParams,
) -> WebhookAttemptList:
    """The endpoint's delivery log, newest attempt first."""
    await _organization_endpoint(
        session, principal=principal, organization_id=organization_id, endpoint_id=endpoint_id
    )
    rows, total = await repository.list_attempts(
        session,
        endpoint_id=endpoint_id,
        delivery_id=delivery_id,
        limit=page.limit,
        offset=page.offset,
    )
    return WebhookAttemptList(
        items=[WebhookAttemptRead.model_validate(row) for row in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


async def redeliver(
    *,
    session: AsyncSession,
    principal: Principal,
    organization_id: str,
    endpoint_id: str,
    delivery_id: str,
) -> WebhookDeliveryRead:
    """Send a delivery again now, with the same `webhook-id`, and restart its schedule."""
    endpoint = await _organization_endpoint(
        session, principal=principal, organization_id=organization_id, endpoint_id=endpoint_id
    )
    if endpoint.status != EndpointStatus.ENABLED:
        raise WebhookEndpointDisabled(
            f"enable the endpoint before redelivering ({endpoint.disabled_reason})"
        )
    delivery = await repository.get_delivery(
        session, endpoint_id=endpoint_id, delivery_id=delivery_id
    )
    if delivery is None:
        raise WebhookDeliveryNotFound(f"no delivery {delivery_id} to this endpoint")
    delivery.status = DeliveryStatus.PENDING
    delivery.schedule_step = 0
    delivery.next_attempt_at = utcnow()
    await session.flush()
    return WebhookDeliveryRead.model_validate(delivery)


async def ping(
    *, session: AsyncSession, principal: Principal, organization_id: str, endpoint_id: str
) -> WebhookDeliveryRead:
    """Queue a test delivery (`kamkor.webhook.ping.v1`) to the endpoint."""
    endpoint = await _organization_endpoint(
        session, principal=principal, organization_id=organization_id, endpoint_id=endpoint_id
    )
    if endpoint.status != EndpointStatus.ENABLED:
        raise WebhookEndpointDisabled(f"enable the endpoint first ({endpoint.disabled_reason})")
    now = utcnow()
    delivery = WebhookDelivery(
        endpoint_id=endpoint.id,
        event_id=new_id(),
        event_type=payloads.PING,
        payload=payloads.ping_body(
            endpoint_id=endpoint.id, organization_id=organization_id, timestamp=now.isoformat()
        ),
        next_attempt_at=now,
    )
    await repository.add_delivery(session, delivery)
    return WebhookDeliveryRead.model_validate(delivery)


async def enqueue(*, session: AsyncSession, event: CloudEvent) -> int:
    """One delivery per enabled endpoint of the event's organisation that wants its type."""
    organization_id = event.data.get("organization_id")
    if not isinstance(organization_id, str) or not organization_id:
        return 0  # an event that names no partner organisation notifies nobody
    wanted = [
        endpoint
        for endpoint in await repository.enabled_endpoints(session, organization_id)
        if payloads.matches(endpoint.event_types, event.type)
    ]
    if not wanted:
        return 0
    body = payloads.body(event)
    referral_id = event.data.get("referral_id")
    now = utcnow()
    added = 0
    for endpoint in wanted:
        delivery = WebhookDelivery(
            endpoint_id=endpoint.id,
            event_id=event.id,
            event_type=event.type,
            referral_id=referral_id if isinstance(referral_id, str) else None,
            payload=body,
            next_attempt_at=now,
        )
        added += await repository.add_delivery(session, delivery)
    return added
