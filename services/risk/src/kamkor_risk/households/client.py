"""The registry read the risk service may make at a person's request (DESIGN §1)."""

from __future__ import annotations

from urllib.parse import quote

import httpx
from pydantic import ValidationError

from kamkor_common import telemetry
from kamkor_common.errors import Forbidden, NotFound, ServiceUnavailable
from kamkor_risk.households.schemas import RegistryHousehold


class HouseholdNotFound(NotFound):
    code = "household_not_found"
    title = "Household not found"


class RegistryUnavailable(ServiceUnavailable):
    code = "registry_unavailable"
    title = "Registry unavailable"


class RegistryRefused(Forbidden):
    code = "registry_refused"
    title = "The registry refused to show this household"


class RegistryClient:
    """Fetches one household from the registry with the caller's own credentials.

    One instance serves the whole process, so its connections are pooled and kept alive;
    trace headers are added by the process-wide httpx instrumentation.
    """

    def __init__(self, *, base_url: str, timeout_s: float) -> None:
        # The registry read carries the request's trace context. Idle connections are
        # dropped before the registry's keep-alive (uvicorn's 5 s) closes them under us.
        self._http = telemetry.instrument_httpx(
            httpx.AsyncClient(
                base_url=base_url.rstrip("/"),
                timeout=timeout_s,
                limits=httpx.Limits(keepalive_expiry=2.0),
            )
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def get_household(self, household_id: str, *, authorization: str) -> RegistryHousehold:
        """The registry's record, or HouseholdNotFound / RegistryRefused / RegistryUnavailable."""
        path = f"/api/v1/registry/households/{quote(household_id, safe='')}"
        try:
            response = await self._http.get(path, headers={"Authorization": authorization})
        except httpx.HTTPError as exc:
            raise RegistryUnavailable(f"the registry did not answer: {type(exc).__name__}") from exc
        if response.status_code == 404:
            raise HouseholdNotFound(f"household {household_id} is not in the registry")
        if response.status_code in (401, 403):
            raise RegistryRefused(f"the registry answered {response.status_code}")
        if response.status_code != 200:
            raise RegistryUnavailable(f"the registry answered {response.status_code}")
        try:
            return RegistryHousehold.model_validate_json(response.content)
        except ValidationError as exc:
            raise RegistryUnavailable("the registry answered an unreadable household") from exc
