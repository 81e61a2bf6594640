"""The process's registry client: opened with the app, closed when it stops."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, FastAPI, Request

from kamkor_risk.households.client import RegistryClient


@contextlib.asynccontextmanager
async def registry_client_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Keep one registry client on the app's state while the app runs."""
    settings = app.state.settings
    client = RegistryClient(base_url=settings.REGISTRY_URL, timeout_s=settings.REGISTRY_TIMEOUT_S)
    app.state.registry_client = client
    try:
        yield
    finally:
        await client.aclose()


async def get_registry_client(request: Request) -> RegistryClient:
    client: RegistryClient = request.app.state.registry_client
    return client


RegistryClientDep = Annotated[RegistryClient, Depends(get_registry_client)]
