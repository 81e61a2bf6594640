"""Putting events straight onto the topics, as a redelivering or misbehaving broker would."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer

from kamkor_common.messaging.outbox import kafka_headers


@dataclass(frozen=True)
class RawEvent:
    topic: str
    key: str
    payload: str  # the CloudEvent as the outbox stored it
    event_id: str
    event_type: str

    def with_new_id(self) -> RawEvent:
        """The same event under a new id: to the inbox it is a different event."""
        envelope = json.loads(self.payload)
        envelope["id"] = str(uuid.uuid4())
        return RawEvent(self.topic, self.key, json.dumps(envelope), envelope["id"], self.event_type)


async def publish(
    bootstrap: str, events: Sequence[RawEvent | tuple[str, bytes, bytes, list]]
) -> None:
    """Send envelopes with Kamkor's headers (or raw records) and wait for the broker's acks."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
    await asyncio.wait_for(producer.start(), 30)
    try:
        for event in events:
            if isinstance(event, RawEvent):
                source = json.loads(event.payload)["source"]
                headers = kafka_headers(event.event_type, event.event_id, source)
                await producer.send_and_wait(
                    event.topic, event.payload.encode(), key=event.key.encode(), headers=headers
                )
            else:
                topic, key, value, headers = event
                await producer.send_and_wait(topic, value, key=key, headers=headers)
    finally:
        await asyncio.wait_for(producer.stop(), 10)
