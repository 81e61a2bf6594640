"""CloudEvents 1.0 envelope in structured JSON mode (DESIGN §3)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

CONTENT_TYPE = "application/cloudevents+json; charset=UTF-8"


def _now() -> datetime:
    return datetime.now(UTC)


class CloudEvent(BaseModel):
    """One event as it travels over Kafka; `data` is validated by the consumer's schema."""

    model_config = ConfigDict(extra="forbid")

    specversion: str = "1.0"
    id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    source: str
    type: str
    subject: str | None = None
    time: datetime = Field(default_factory=_now)
    datacontenttype: str = "application/json"
    partitionkey: str
    correlationid: str | None = None
    causationid: str | None = None
    data: dict[str, Any]

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> CloudEvent:
        return cls.model_validate_json(raw)


def new_event(
    *,
    source: str,
    type: str,
    key: str,
    data: BaseModel,
    subject: str | None = None,
    cause: CloudEvent | None = None,
    correlation_id: str | None = None,
) -> CloudEvent:
    """Build an event; when it answers another event it inherits its correlation id."""
    event_id = str(uuid.uuid4())
    if cause is not None:
        correlation_id = cause.correlationid or cause.id
    return CloudEvent(
        id=event_id,
        source=source,
        type=type,
        subject=subject,
        partitionkey=key,
        correlationid=correlation_id or event_id,
        causationid=cause.id if cause is not None else None,
        data=data.model_dump(mode="json"),
    )
