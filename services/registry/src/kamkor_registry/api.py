"""The routers and consumer groups of the registry service."""

from __future__ import annotations

from fastapi import APIRouter

from kamkor_common.messaging.consumer import ConsumerSpec

ROUTERS: list[APIRouter] = []
CONSUMERS: list[ConsumerSpec] = []
