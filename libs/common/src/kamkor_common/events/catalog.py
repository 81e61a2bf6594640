"""Every event type Kamkor publishes, gathered from the producers' schema modules."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from kamkor_common.events.schemas import referral, registry, risk, shelter
from kamkor_common.events.spec import EventSpec

PRODUCERS: tuple[ModuleType, ...] = (registry, risk, referral, shelter)


def _declared(module: ModuleType) -> list[EventSpec[Any]]:
    return [value for value in vars(module).values() if isinstance(value, EventSpec)]


SPECS: tuple[EventSpec[Any], ...] = tuple(
    spec for module in PRODUCERS for spec in _declared(module)
)
BY_TYPE: dict[str, EventSpec[Any]] = {spec.type: spec for spec in SPECS}


def spec_for(event_type: str) -> EventSpec[Any] | None:
    """The declaration of an event type, if Kamkor publishes it."""
    return BY_TYPE.get(event_type)
