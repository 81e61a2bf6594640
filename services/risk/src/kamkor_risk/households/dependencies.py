"""The registry client of a request, built from the service's settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from kamkor_risk.households.client import RegistryClient


def get_registry_client(request: Request) -> RegistryClient:
    settings = request.app.state.settings
    return RegistryClient(base_url=settings.REGISTRY_URL, timeout_s=settings.REGISTRY_TIMEOUT_S)


RegistryClientDep = Annotated[RegistryClient, Depends(get_registry_client)]
