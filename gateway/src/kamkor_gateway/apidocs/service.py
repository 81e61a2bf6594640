"""Merging the services' OpenAPI documents into the gateway's own."""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from kamkor_common.errors import HTTP_METHODS, KamkorError, add_problem_responses
from kamkor_gateway.upstreams import SERVICES, Upstreams

log = logging.getLogger("kamkor.gateway.apidocs")

PUBLIC_PREFIXES = ("/api/v1/", "/partner/v1/")
SCHEMA_REF = "#/components/schemas/"
BEARER_SCHEME = "bearerAuth"
BEARER = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT",
    "description": "A token from the ministry's identity provider, or in the embedded "
    "default from `kamkor token --role ROLE` / `kamkor token --user NAME`.",
}
Document = dict[str, Any]

# What the gateway itself can answer to any call, besides what the service answers.
GATEWAY_PROBLEMS = (400, 429, 502, 503, 504)


def add_gateway_problems(item: dict[str, Any]) -> None:
    """Document the gateway's own problems (path check, body and rate limits, upstreams)."""
    for method in HTTP_METHODS:
        operation = item.get(method)
        if isinstance(operation, dict):
            statuses = {*GATEWAY_PROBLEMS, *((413,) if "requestBody" in operation else ())}
            add_problem_responses(operation, statuses)


def _rewrite_refs(node: Any, renamed: Mapping[str, str]) -> Any:
    """Point every schema reference (`$ref`, discriminator mappings) at its new name."""
    if isinstance(node, dict):
        return {key: _rewrite_refs(value, renamed) for key, value in node.items()}
    if isinstance(node, list):
        return [_rewrite_refs(value, renamed) for value in node]
    if isinstance(node, str) and node.startswith(SCHEMA_REF):
        name = node[len(SCHEMA_REF) :]
        if name in renamed:
            return SCHEMA_REF + renamed[name]
    return node


def _free_name(service: str, name: str, taken: Mapping[str, Any]) -> str:
    candidate, n = f"{service}_{name}", 2
    while candidate in taken:
        candidate, n = f"{service}_{name}_{n}", n + 1
    return candidate


def merge(own: Document, services: Mapping[str, Document], *, unavailable: list[str]) -> Document:
    """The gateway's document plus every service's public paths and their schemas.

    Schemas of the same name and the same content are shared; a name that two services
    use for different things is prefixed with the later service's name.
    """
    merged = copy.deepcopy(own)
    paths: dict[str, Any] = merged.setdefault("paths", {})
    components: dict[str, Any] = merged.setdefault("components", {})
    schemas: dict[str, Any] = components.setdefault("schemas", {})
    security_schemes: dict[str, Any] = components.setdefault("securitySchemes", {})
    tags: list[dict[str, Any]] = merged.setdefault("tags", [])
    known_tags = {tag.get("name") for tag in tags}

    for service, document in services.items():
        their_schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
        renamed = {
            name: _free_name(service, name, schemas)
            for name, schema in their_schemas.items()
            if name in schemas and schemas[name] != schema
        }
        for name, schema in their_schemas.items():
            schemas[renamed.get(name, name)] = _rewrite_refs(schema, renamed)
        security_schemes.update(document.get("components", {}).get("securitySchemes", {}))
        for path, item in document.get("paths", {}).items():
            if not path.startswith(PUBLIC_PREFIXES):
                continue
            if path in paths:
                log.warning("%s: path %s is already described; keeping the first", service, path)
                continue
            item = _rewrite_refs(item, renamed)
            for operation in item.values():
                if isinstance(operation, dict) and not operation.get("tags"):
                    operation["tags"] = [service]
            paths[path] = item
        for tag in document.get("tags", []):
            if tag.get("name") not in known_tags:
                tags.append(tag)
                known_tags.add(tag.get("name"))

    for item in paths.values():
        add_gateway_problems(item)
    security_schemes[BEARER_SCHEME] = BEARER
    merged["security"] = [{BEARER_SCHEME: []}]
    if not tags:
        del merged["tags"]
    if unavailable:
        merged["x-kamkor-unavailable-services"] = sorted(unavailable)
        info = merged.setdefault("info", {})
        info["description"] = (
            info.get("description", "").rstrip()
            + "\n\nNot shown right now, because these services did not answer: "
            + ", ".join(sorted(unavailable))
            + "."
        )
    return merged


class ApiCatalog:
    """The services' documents, fetched on first use and kept.

    A service that gave no document is asked again at most every `retry_s` seconds.
    Only one request at a time fetches; while it does, the others get the document as
    it stands, or (before there is one) wait for that single fetch, which is bounded
    by `timeout_s`.
    """

    def __init__(self, own: Callable[[], Document], *, timeout_s: float, retry_s: float) -> None:
        self._own = own
        self._timeout_s = timeout_s
        self._retry_s = retry_s
        self._documents: dict[str, Document] = {}
        self._next_attempt: dict[str, float] = {}
        self._merged: Document | None = None
        self._lock = asyncio.Lock()

    async def _fetch(self, upstreams: Upstreams, service: str) -> Document | None:
        try:
            # httpx's timeout bounds each read, not the whole answer: bound that as well.
            async with asyncio.timeout(self._timeout_s):
                response = await upstreams.get(service, "/openapi.json", timeout_s=self._timeout_s)
        except TimeoutError:
            log.warning("no OpenAPI document from %s: no answer in time", service)
            return None
        except KamkorError as exc:
            log.warning("no OpenAPI document from %s: %s", service, exc.detail)
            return None
        if response.status_code != 200:
            log.warning("no OpenAPI document from %s: status %s", service, response.status_code)
            return None
        try:
            document = response.json()
        except ValueError:
            log.warning("no OpenAPI document from %s: not JSON", service)
            return None
        return document if isinstance(document, dict) else None

    def _due(self) -> list[str]:
        """The services without a document whose time to be asked again has come."""
        now = time.monotonic()
        return [
            name
            for name in SERVICES
            if name not in self._documents and self._next_attempt.get(name, 0.0) <= now
        ]

    async def document(self, upstreams: Upstreams) -> Document:
        """The merged document; services that are down are left out and asked later."""
        if self._merged is not None and (self._lock.locked() or not self._due()):
            return self._merged
        async with self._lock:
            # Whoever held the lock before may have asked these services just now.
            due = self._due()
            if self._merged is not None and not due:
                return self._merged
            fetched = await asyncio.gather(*(self._fetch(upstreams, name) for name in due))
            retry_at = time.monotonic() + self._retry_s
            for name, document in zip(due, fetched, strict=True):
                if document is None:
                    self._next_attempt[name] = retry_at
                else:
                    self._documents[name] = document
            ordered = {name: self._documents[name] for name in SERVICES if name in self._documents}
            unavailable = [name for name in SERVICES if name not in self._documents]
            self._merged = merge(self._own(), ordered, unavailable=unavailable)
            return self._merged
