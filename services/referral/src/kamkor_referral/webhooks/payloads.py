"""Which referral events a partner can subscribe to, and the thin body each delivery sends."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from kamkor_common.events.catalog import SPECS
from kamkor_common.events.envelope import CloudEvent

WILDCARD = "*"
SUBSCRIBABLE_PREFIX = "kamkor.referral."
# Bed-hold requests are the referral service talking to the shelter service, not news for
# a partner (and they name no organisation to deliver to).
INTERNAL_PREFIXES = ("kamkor.referral.bed_hold.",)
PING = "kamkor.webhook.ping.v1"
# Identifiers and coded facts only (DESIGN §3): whatever else an event may grow stays home.
_DATA_FIELDS = (
    "referral_id",
    "household_id",
    "status",
    "organization_id",
    "service_id",
    "service_type",
    "priority",
    "attempt",
    "reason",
    "outcome",
)


@cache
def subscribable_types() -> frozenset[str]:
    """Every referral event type Kamkor declares, but the bed holds (shelter business).

    Read from the event catalogue rather than listed here, so that a new referral event
    can be subscribed to as soon as it is declared.
    """
    return frozenset(
        spec.type
        for spec in SPECS
        if spec.type.startswith(SUBSCRIBABLE_PREFIX) and not spec.type.startswith(INTERNAL_PREFIXES)
    )


def matches(subscribed: list[str], event_type: str) -> bool:
    """Whether an endpoint subscribed to these types wants this event."""
    return WILDCARD in subscribed or event_type in subscribed


def body(event: CloudEvent) -> str:
    """`{"type", "timestamp", "data"}` with the event's ids and codes, as compact JSON."""
    data = {
        key: value
        for key, value in event.data.items()
        if key in _DATA_FIELDS or key.endswith(("_id", "_at"))
    }
    return _dump({"type": event.type, "timestamp": event.time.isoformat(), "data": data})


def ping_body(*, endpoint_id: str, organization_id: str, timestamp: str) -> str:
    """The body of a test delivery: names the endpoint, carries no referral."""
    data = {"endpoint_id": endpoint_id, "organization_id": organization_id}
    return _dump({"type": PING, "timestamp": timestamp, "data": data})


def _dump(payload: dict[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
