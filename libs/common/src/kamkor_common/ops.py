"""Operator commands that run in a service's own environment: its outbox, now.

In a pod: `kubectl -n kamkor exec deploy/risk-worker -- python -m kamkor_common.ops outbox
status`; on the development machine `uv run kamkor outbox status --service risk` does the
same with that service's settings (its `var/` database unless `KAMKOR_DATABASE_URL` says
otherwise). The runbook (docs/operations.md) says when to use which.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kamkor_common.db import Database, utcnow
from kamkor_common.messaging import outbox
from kamkor_common.messaging.outbox import OutboxRelay
from kamkor_common.messaging.producer import Producer
from kamkor_common.settings import KamkorSettings

SERVICES = ("registry", "risk", "referral", "shelter")


@dataclass(frozen=True)
class OutboxState:
    backlog: int
    oldest: datetime | None

    def describe(self) -> str:
        if not self.backlog or self.oldest is None:
            return "backlog 0"
        age_s = (utcnow() - self.oldest).total_seconds()
        since = f"{self.oldest:%Y-%m-%dT%H:%M:%SZ}"
        return f"backlog {self.backlog}, oldest unsent {age_s:.0f} s ago ({since})"


@dataclass(frozen=True)
class DrainResult:
    published: int
    left: OutboxState
    last_error: str | None

    @property
    def drained(self) -> bool:
        return self.left.backlog == 0


def service_settings(service: str | None) -> KamkorSettings:
    """The settings a service's own process would read (its defaults, then KAMKOR_*)."""
    if service is None:
        return KamkorSettings()
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}; one of: {', '.join(SERVICES)}")
    module = importlib.import_module(f"kamkor_{service}.config")
    for value in vars(module).values():
        if (
            inspect.isclass(value)
            and issubclass(value, KamkorSettings)
            and value is not KamkorSettings
            and value.__module__ == module.__name__
        ):
            return value()
    raise LookupError(f"kamkor_{service}.config declares no settings class")


async def outbox_state(database: Database) -> OutboxState:
    async with database.sessionmaker() as session:
        backlog, oldest = await outbox.backlog_and_oldest(session)
    return OutboxState(backlog=backlog, oldest=oldest)


async def drain_outbox(settings: KamkorSettings, *, timeout_s: float) -> DrainResult:
    """Publish every unsent row now, in order, until none is left or time runs out.

    Safe beside the service's own relay: on PostgreSQL one relay publishes at a time
    (an advisory lock), so the two take turns and order is kept; a row either of them
    publishes is marked once. Broker or database errors are retried until the deadline.
    """
    database = Database(settings.DATABASE_URL, pool_size=1, max_overflow=1)
    producer = Producer(settings)
    relay = OutboxRelay(
        sessionmaker=database.sessionmaker,
        producer=producer,
        batch_size=settings.OUTBOX_BATCH_SIZE,
    )
    deadline = time.monotonic() + timeout_s
    published = 0
    last_error: str | None = None
    try:
        while time.monotonic() < deadline:
            try:
                sent = await relay.drain_once()
            except Exception as exc:  # broker or database away: wait and try again
                last_error = repr(exc)
                await asyncio.sleep(0.5)
                continue
            published += sent
            if sent == 0:
                if (await outbox_state(database)).backlog == 0:
                    break
                await asyncio.sleep(0.1)  # the service's relay holds the turn
        left = await outbox_state(database)
    finally:
        await producer.stop()
        await database.dispose()
    return DrainResult(published=published, left=left, last_error=last_error)


def add_outbox_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `outbox` command, shared by `kamkor` and `python -m kamkor_common.ops`."""
    parser = commands.add_parser(
        "outbox",
        help="show a service's outbox backlog, or drain it now",
        description="`status` prints the unsent events and the age of the oldest; `drain` "
        "publishes them all now and exits 0 once none is left (1 if the time runs out).",
    )
    parser.add_argument("action", choices=["status", "drain"])
    parser.add_argument(
        "--service",
        choices=SERVICES,
        help="read that service's settings (default: KAMKOR_DATABASE_URL as set)",
    )
    parser.add_argument("--database-url", help="the service's database (default: its settings)")
    parser.add_argument("--bootstrap", help="the broker (default: KAMKOR_KAFKA_BOOTSTRAP_SERVERS)")
    parser.add_argument(
        "--timeout", type=float, default=120.0, help="seconds `drain` may take (default 120)"
    )


def run_outbox(args: argparse.Namespace) -> int:
    settings = service_settings(args.service)
    update: dict[str, Any] = {}
    if args.database_url:
        update["DATABASE_URL"] = args.database_url
    if args.bootstrap:
        update["KAFKA_BOOTSTRAP_SERVERS"] = args.bootstrap
    if update:
        settings = type(settings)(**update)
    if args.action == "status":
        database = Database(settings.DATABASE_URL, pool_size=1, max_overflow=1)

        async def _status() -> OutboxState:
            try:
                return await outbox_state(database)
            finally:
                await database.dispose()

        print(f"{settings.SERVICE_NAME}: {asyncio.run(_status()).describe()}")
        return 0
    result = asyncio.run(drain_outbox(settings, timeout_s=args.timeout))
    print(f"{settings.SERVICE_NAME}: published {result.published}; {result.left.describe()}")
    if not result.drained:
        print(
            f"not drained within {args.timeout:g} s; last error: {result.last_error}",
            file=sys.stderr,
        )
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kamkor_common.ops", description="Operator commands of a Kamkor service."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_outbox_parser(commands)
    args = parser.parse_args(argv)
    return run_outbox(args)


if __name__ == "__main__":
    sys.exit(main())
