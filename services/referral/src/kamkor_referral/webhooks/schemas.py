"""What the webhook API accepts and answers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from kamkor_common.inputs import PLAIN_TEXT_PATTERN
from kamkor_common.pagination import Page
from kamkor_referral.webhooks.models import DeliveryStatus, EndpointStatus

Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Description = Annotated[str, StringConstraints(max_length=500, pattern=PLAIN_TEXT_PATTERN)]
Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=200, pattern=PLAIN_TEXT_PATTERN)
]
EventType = Annotated[str, StringConstraints(min_length=1, max_length=200)]
EventTypes = Annotated[list[EventType], Field(min_length=1, max_length=50)]


class WebhookEndpointCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Url = Field(description="Where deliveries are POSTed; `https://` outside development.")
    event_types: EventTypes = Field(
        description="Referral event types to receive, or `*` for all of them."
    )
    description: Description | None = None


class WebhookEndpointUpdate(BaseModel):
    """Only the fields given change; `enabled: false` pauses deliveries, `true` resumes them."""

    model_config = ConfigDict(extra="forbid")

    url: Url | None = None
    event_types: EventTypes | None = None
    description: Description | None = None
    enabled: bool | None = None
    disabled_reason: Reason | None = None


class WebhookEndpointRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    organization_id: str
    url: str
    description: str | None
    event_types: list[str]
    status: EndpointStatus
    disabled_reason: str | None
    previous_secret_expires_at: datetime | None = Field(
        description="While set and in the future, the previous secret signs deliveries too."
    )
    created_at: datetime
    updated_at: datetime


class WebhookEndpointSecret(WebhookEndpointRead):
    """The endpoint with its signing secret: answered once, at creation or rotation."""

    secret: str = Field(description="`whsec_...`; keep it: Kamkor never shows it again.")


class WebhookEndpointList(Page[WebhookEndpointRead]):
    pass


class WebhookDeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str = Field(description="The `webhook-id` header of every attempt of this delivery.")
    endpoint_id: str
    event_id: str
    event_type: str
    referral_id: str | None
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


class WebhookDeliveryList(Page[WebhookDeliveryRead]):
    pass


class WebhookAttemptRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    delivery_id: str
    attempted_at: datetime
    status_code: int | None = Field(description="The receiver's HTTP status; none if no answer.")
    duration_ms: int
    error: str | None


class WebhookAttemptList(Page[WebhookAttemptRead]):
    pass


class WebhookEventTypes(BaseModel):
    event_types: list[str]
