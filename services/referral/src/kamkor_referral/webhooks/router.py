"""HTTP routes of partner webhooks: for admins per organisation, for partners their own."""

# No `from __future__ import annotations`: the routes are built in a function, and FastAPI
# must see the owner dependency of each build, not a name to look up in this module.

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from kamkor_common.auth import Principal, require_roles
from kamkor_common.db import SessionDep
from kamkor_common.pagination import PageParams, page_params
from kamkor_referral.config import ReferralSettings
from kamkor_referral.webhooks import payloads, service
from kamkor_referral.webhooks.models import DeliveryStatus
from kamkor_referral.webhooks.schemas import (
    WebhookAttemptList,
    WebhookDeliveryList,
    WebhookDeliveryRead,
    WebhookEndpointCreate,
    WebhookEndpointList,
    WebhookEndpointRead,
    WebhookEndpointSecret,
    WebhookEndpointUpdate,
    WebhookEventTypes,
)


@dataclass(frozen=True)
class Owner:
    """Who asks, and for which organisation's endpoints."""

    principal: Principal
    organization_id: str


async def admin_owner(
    organization_id: str,
    principal: Annotated[Principal, Depends(require_roles("admin", "partner"))],
) -> Owner:
    """The organisation named in the path; the service checks the caller may manage it."""
    return Owner(principal=principal, organization_id=organization_id)


async def partner_owner(
    principal: Annotated[Principal, Depends(require_roles("partner"))],
) -> Owner:
    """The organisation the partner token speaks for."""
    return Owner(principal=principal, organization_id=service.partner_organization(principal))


async def get_settings(request: Request) -> ReferralSettings:
    settings: ReferralSettings = request.app.state.settings
    return settings


Settings = Annotated[ReferralSettings, Depends(get_settings)]
Page = Annotated[PageParams, Depends(page_params)]
IdText = Annotated[str, Query(max_length=36)]


def _routes(router: APIRouter, owner_dependency: Callable[..., Awaitable[Owner]]) -> APIRouter:
    """The same routes under either prefix; only how the organisation is found differs."""

    @router.post("", status_code=201, response_model=WebhookEndpointSecret)
    async def create_endpoint(
        endpoint_in: WebhookEndpointCreate,
        session: SessionDep,
        owner: Annotated[Owner, Depends(owner_dependency)],
        settings: Settings,
    ) -> WebhookEndpointSecret:
        """Register an endpoint; the answer holds its signing secret, shown only this once."""
        return await service.create_endpoint(
            session=session,
            principal=owner.principal,
            organization_id=owner.organization_id,
            endpoint_in=endpoint_in,
            settings=settings,
        )

    @router.get("", response_model=WebhookEndpointList)
    async def list_endpoints(
        session: SessionDep, owner: Annotated[Owner, Depends(owner_dependency)], page: Page
    ) -> WebhookEndpointList:
        """The organisation's endpoints, oldest first; secrets are never listed."""
        return await service.list_endpoints(
            session=session,
            principal=owner.principal,
            organization_id=owner.organization_id,
            page=page,
        )

    @router.get("/{endpoint_id}", response_model=WebhookEndpointRead)
    async def get_endpoint(
        endpoint_id: str, session: SessionDep, owner: Annotated[Owner, Depends(owner_dependency)]
    ) -> WebhookEndpointRead:
        """One endpoint, with whether it is enabled and why not."""
        return await service.get_endpoint(
            session=session,
            principal=owner.principal,
            organization_id=owner.organization_id,
            endpoint_id=endpoint_id,
        )

    @router.patch("/{endpoint_id}", response_model=WebhookEndpointRead)
    async def update_endpoint(
        endpoint_id: str,
        endpoint_in: WebhookEndpointUpdate,
        session: SessionDep,
        owner: Annotated[Owner, Depends(owner_dependency)],
        settings: Settings,
    ) -> WebhookEndpointRead:
        """Change the URL, event types or description; disable or re-enable the endpoint."""
        return await service.update_endpoint(
            session=session,
            principal=owner.principal,
            organization_id=owner.organization_id,
            endpoint_id=endpoint_id,
            endpoint_in=endpoint_in,
            settings=settings,
        )

    @router.delete("/{endpoint_id}", status_code=204)
    async def delete_endpoint(
        endpoint_id: str, session: SessionDep, owner: Annotated[Owner, Depends(owner_dependency)]
    ) -> Response:
        """Remove the endpoint, its deliveries and their log."""
        await service.delete_endpoint(
            session=session,
            principal=owner.principal,
            organization_id=owner.organization_id,
            endpoint_id=endpoint_id,
        )
        return Response(status_code=204)

    @router.post("/{endpoint_id}/rotate-secret", response_model=WebhookEndpointSecret)
    async def rotate_secret(
        endpoint_id: str,
        session: SessionDep,
        owner: Annotated[Owner, Depends(owner_dependency)],
        settings: Settings,
    ) -> WebhookEndpointSecret:
        """A new secret, shown once; the old one also signs until the overlap ends."""
        return await service.rotate_secret(
            session=session,
            principal=owner.principal,
            organization_id=owner.organization_id,
            endpoint_id=endpoint_id,
            settings=settings,
        )

    @router.post("/{endpoint_id}/ping", status_code=202, response_model=WebhookDeliveryRead)
    async def ping(
        endpoint_id: str, session: SessionDep, owner: Annotated[Owner, Depends(owner_dependency)]
    ) -> WebhookDeliveryRead:
        """Queue a signed `kamkor.webhook.ping.v1` test delivery to the endpoint."""
        return await service.ping(
            session=session,
            principal=owner.principal,
            organization_id=owner.organization_id,
            endpoint_id=endpoint_id,
        )

    @router.get("/{endpoint_id}/deliveries", response_model=WebhookDeliveryList)
    async def list_deliveries(
        endpoint_id: str,
        session: SessionDep,
        owner: Annotated[Owner, Depends(owner_dependency)],
        page: Page,
        status: DeliveryStatus | None = None,
    ) -> WebhookDeliveryList:
        """The endpoint's deliveries, newest first, optionally of one status."""
        return await service.list_deliveries(
            session=session,
            principal=owner.principal,
            organization_id=owner.organization_id,
            endpoint_id=endpoint_id,
            status=status,
            page=page,
        )

    @router.get("/{endpoint_id}/attempts", response_model=WebhookAttemptList)
    async def list_attempts(
        endpoint_id: str,
        session: SessionDep,
        owner: Annotated[Owner, Depends(owner_dependency)],
        page: Page,
        delivery_id: IdText | None = None,
    ) -> WebhookAttemptList:
        """The delivery log: every attempt, newest first, with status code and duration."""
        return await service.list_attempts(
            session=session,
            principal=owner.principal,
            organization_id=owner.organization_id,
            endpoint_id=endpoint_id,
            delivery_id=delivery_id,
            page=page,
        )

    @router.post(
        "/{endpoint_id}/deliveries/{delivery_id}/redeliver",
        status_code=202,
        response_model=WebhookDeliveryRead,
    )
    async def redeliver(
        endpoint_id: str,
        delivery_id: str,
        session: SessionDep,
        owner: Annotated[Owner, Depends(owner_dependency)],
    ) -> WebhookDeliveryRead:
        """Send the delivery again now, same `webhook-id`, with a fresh retry schedule."""
        return await service.redeliver(
            session=session,
            principal=owner.principal,
            organization_id=owner.organization_id,
            endpoint_id=endpoint_id,
            delivery_id=delivery_id,
        )

    return router


admin_router = _routes(
    APIRouter(prefix="/api/v1/partners/{organization_id}/webhook-endpoints", tags=["webhooks"]),
    admin_owner,
)
partner_router = _routes(
    APIRouter(prefix="/partner/v1/webhook-endpoints", tags=["partner webhooks"]), partner_owner
)
event_types_router = APIRouter(prefix="/partner/v1/webhook-event-types", tags=["partner webhooks"])


@event_types_router.get("", response_model=WebhookEventTypes)
async def list_event_types(
    principal: Annotated[Principal, Depends(require_roles("admin", "partner"))],
) -> WebhookEventTypes:
    """The event types an endpoint can subscribe to (or `*` for all)."""
    return WebhookEventTypes(event_types=sorted(payloads.subscribable_types()))


ROUTERS = [admin_router, partner_router, event_types_router]
