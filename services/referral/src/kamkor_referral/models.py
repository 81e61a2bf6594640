"""Every table of the referral service, imported so that migrations see them."""

from sqlmodel import SQLModel

from kamkor_common.idempotency import IdempotencyKey
from kamkor_common.messaging.inbox import InboxMessage
from kamkor_common.messaging.outbox import OutboxMessage
from kamkor_referral.capacity.models import ShelterAvailability
from kamkor_referral.consents.models import ConsentRecord
from kamkor_referral.contacts.models import ContactRead
from kamkor_referral.directory.models import Organization, PartnerService, ServiceArea
from kamkor_referral.referrals.models import Referral, RoutingAttempt
from kamkor_referral.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

metadata = SQLModel.metadata

__all__ = [
    "ConsentRecord",
    "ContactRead",
    "IdempotencyKey",
    "InboxMessage",
    "Organization",
    "OutboxMessage",
    "PartnerService",
    "Referral",
    "RoutingAttempt",
    "ServiceArea",
    "ShelterAvailability",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "metadata",
]
