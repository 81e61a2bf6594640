"""The single place where Kamkor writes to Kafka; every send is bounded in time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from kamkor_common.events.topics import PARTITIONS
from kamkor_common.settings import KamkorSettings

log = logging.getLogger("kamkor.messaging.producer")

Headers = list[tuple[str, bytes]]


class Producer:
    """A lazily started aiokafka producer with `acks=all` and bounded sends."""

    def __init__(self, settings: KamkorSettings) -> None:
        self.settings = settings
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()
        self.last_error: str | None = None

    async def _client(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    bootstrap_servers=self.settings.KAFKA_BOOTSTRAP_SERVERS,
                    acks="all",
                    enable_idempotence=self.settings.KAFKA_ENABLE_IDEMPOTENCE,
                    request_timeout_ms=int(self.settings.KAFKA_SEND_TIMEOUT_S * 1000),
                    linger_ms=0,
                )
                try:
                    await asyncio.wait_for(producer.start(), self.settings.KAFKA_SEND_TIMEOUT_S)
                except BaseException:
                    await _stop_quietly(producer)
                    raise
                self._producer = producer
            return self._producer

    async def send_batch(self, messages: Sequence[tuple[str, bytes, bytes, Headers]]) -> None:
        """Send (topic, key, value, headers) in order and wait until all are acknowledged."""
        try:
            client = await self._client()
            futures = [
                await client.send(topic, value=value, key=key, headers=headers)
                for topic, key, value, headers in messages
            ]
            await asyncio.wait_for(asyncio.gather(*futures), self.settings.KAFKA_SEND_TIMEOUT_S)
        except Exception as exc:
            self.last_error = repr(exc)
            await self.reset()
            raise
        self.last_error = None

    async def send(self, topic: str, key: bytes, value: bytes, headers: Headers) -> None:
        await self.send_batch([(topic, key, value, headers)])

    async def reset(self) -> None:
        """Drop the client after an error; the next send starts a fresh one."""
        async with self._lock:
            producer, self._producer = self._producer, None
        if producer is not None:
            await _stop_quietly(producer)

    async def stop(self) -> None:
        await self.reset()


async def _stop_quietly(producer: AIOKafkaProducer) -> None:
    try:
        await asyncio.wait_for(producer.stop(), 5)
    except Exception:
        log.warning("producer did not stop cleanly")


async def ensure_topics(
    bootstrap: str, topics: dict[str, int] | None = None, timeout_s: float = 15
) -> None:
    """Create the topics with the partition counts we mean (the broker's default is 4)."""
    wanted = dict(PARTITIONS if topics is None else topics)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
    await asyncio.wait_for(admin.start(), timeout_s)
    try:
        existing = set(await asyncio.wait_for(admin.list_topics(), timeout_s))
        missing = [NewTopic(t, n, 1) for t, n in wanted.items() if t not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                await asyncio.wait_for(admin.create_topics(missing), timeout_s)
            log.info("created topics %s", ", ".join(t.name for t in missing))
    finally:
        await asyncio.wait_for(admin.close(), 5)
