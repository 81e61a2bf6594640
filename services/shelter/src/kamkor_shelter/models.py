"""Every table of the shelter service, imported so that migrations see them."""

from sqlmodel import SQLModel

from kamkor_common.messaging.inbox import InboxMessage
from kamkor_common.messaging.outbox import OutboxMessage

metadata = SQLModel.metadata

__all__ = ["InboxMessage", "OutboxMessage", "metadata"]
