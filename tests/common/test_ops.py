"""The runbook's outbox commands: status and drain, in-process and as the command itself."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from pydantic import BaseModel
from sqlalchemy import delete

from kamkor_common import ops
from kamkor_common.db import Database
from kamkor_common.events.envelope import CloudEvent, new_event
from kamkor_common.messaging import outbox
from kamkor_common.messaging.broker import EmbeddedBroker
from kamkor_common.messaging.outbox import OutboxMessage
from kamkor_common.messaging.producer import ensure_topics
from kamkor_common.messaging.testing import read_topic
from kamkor_common.settings import KamkorSettings
from kamkor_common.testing import create_messaging_tables


class Ping(BaseModel):
    n: int


@pytest.fixture(scope="module")
async def ops_db(make_database: Callable[[str], Awaitable[str]]) -> AsyncIterator[Database]:
    database = Database(await make_database("ops"))
    await create_messaging_tables(database)
    yield database
    await database.dispose()


async def _stage(database: Database, topic: str, count: int, key: str = "household-7") -> None:
    async with database.sessionmaker() as session, session.begin():
        for n in range(count):
            event = new_event(
                source="/kamkor/test", type="kamkor.test.ping.v1", key=key, data=Ping(n=n)
            )
            outbox.add_event(session, topic, event)


async def _state(database: Database) -> ops.OutboxState:
    return await ops.outbox_state(database)


async def test_drain_publishes_every_row_in_order(broker: EmbeddedBroker, ops_db: Database) -> None:
    topic = f"test.ops.{uuid.uuid4().hex[:6]}"
    await ensure_topics(broker.bootstrap, {topic: 2})
    before = (await _state(ops_db)).backlog
    await _stage(ops_db, topic, 250)  # more than two batches of 100
    assert (await _state(ops_db)).backlog == before + 250

    settings = KamkorSettings(DATABASE_URL=ops_db.url, KAFKA_BOOTSTRAP_SERVERS=broker.bootstrap)
    result = await ops.drain_outbox(settings, timeout_s=30)

    assert result.drained and result.left.backlog == 0
    assert result.published == before + 250
    records = await read_topic(broker.bootstrap, topic, min_records=250, timeout_s=15)
    assert [CloudEvent.from_bytes(r.value).data["n"] for r in records] == list(range(250))


async def test_drain_gives_up_at_the_deadline_and_keeps_the_rows(ops_db: Database) -> None:
    await _stage(ops_db, "test.ops.unreachable", 3)
    settings = KamkorSettings(
        DATABASE_URL=ops_db.url, KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:1", KAFKA_SEND_TIMEOUT_S=0.5
    )
    result = await ops.drain_outbox(settings, timeout_s=2)

    assert not result.drained
    assert result.left.backlog >= 3 and result.left.oldest is not None
    assert result.last_error is not None
    # Nothing was marked sent: the rows wait for the broker.
    assert (await _state(ops_db)).backlog == result.left.backlog
    async with ops_db.sessionmaker() as session, session.begin():
        await session.execute(
            delete(OutboxMessage).where(OutboxMessage.topic == "test.ops.unreachable")
        )  # type: ignore[arg-type]


def test_service_settings_are_the_services_own() -> None:
    settings = ops.service_settings("risk")
    assert settings.SERVICE_NAME == "risk"
    with pytest.raises(ValueError, match="unknown service"):
        ops.service_settings("payments")


async def test_the_runbook_commands_run_as_written(
    broker: EmbeddedBroker, ops_db: Database
) -> None:
    """`python -m kamkor_common.ops outbox status|drain` as the runbook writes them."""
    topic = f"test.ops.cli.{uuid.uuid4().hex[:6]}"
    await ensure_topics(broker.bootstrap, {topic: 1})
    await _stage(ops_db, topic, 5)
    env = {
        **os.environ,
        "KAMKOR_DATABASE_URL": ops_db.url,
        "KAMKOR_KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kamkor_common.ops", "outbox", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=90,
        )

    status = await asyncio.to_thread(run, "status")
    assert status.returncode == 0, status.stderr
    assert "backlog" in status.stdout and "backlog 0" not in status.stdout

    drained = await asyncio.to_thread(run, "drain", "--timeout", "60")
    assert drained.returncode == 0, drained.stderr
    assert "backlog 0" in drained.stdout

    after = await asyncio.to_thread(run, "status")
    assert after.stdout.strip().endswith("backlog 0")
    assert len(await read_topic(broker.bootstrap, topic, min_records=5, timeout_s=10)) == 5
