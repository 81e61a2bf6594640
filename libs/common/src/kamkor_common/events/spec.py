"""One declaration per event type: its type string, topic, key, subject and data model."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel

from kamkor_common.events.envelope import CloudEvent, new_event

D = TypeVar("D", bound=BaseModel)


@dataclass(frozen=True)
class EventSpec(Generic[D]):
    """An event type as the contract states it; `build` and `parse` keep producers and
    consumers to it."""

    type: str
    topic: str
    data: builtins.type[D]
    source: str
    # The data field whose value is the Kafka key; the subject is `<subject>/<key>`.
    key: str
    subject: str
    summary: str = ""

    def key_of(self, data: D) -> str:
        """The partition key of this data: the value of the spec's key field."""
        return str(getattr(data, self.key))

    def build(
        self,
        data: D,
        *,
        cause: CloudEvent | None = None,
        correlation_id: str | None = None,
    ) -> CloudEvent:
        """The CloudEvent carrying `data`, keyed and titled as the spec says."""
        if not isinstance(data, self.data):
            raise TypeError(f"{self.type} carries {self.data.__name__}, not {type(data).__name__}")
        key = self.key_of(data)
        return new_event(
            source=self.source,
            type=self.type,
            key=key,
            data=data,
            subject=f"{self.subject}/{key}",
            cause=cause,
            correlation_id=correlation_id,
        )

    def parse(self, event: CloudEvent) -> D:
        """The event's data, validated by the spec's model."""
        return self.data.model_validate(event.data)
