"""Every table of the shelter service, imported so that migrations see them."""

from sqlmodel import SQLModel

from kamkor_common.idempotency import IdempotencyKey
from kamkor_common.messaging.inbox import InboxMessage
from kamkor_common.messaging.outbox import OutboxMessage
from kamkor_shelter.holds.models import BedHold
from kamkor_shelter.shelters.models import Shelter, ShelterCategory
from kamkor_shelter.stays.models import Stay

metadata = SQLModel.metadata

__all__ = [
    "BedHold",
    "IdempotencyKey",
    "InboxMessage",
    "OutboxMessage",
    "Shelter",
    "ShelterCategory",
    "Stay",
    "metadata",
]
