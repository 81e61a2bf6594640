"""The gateway: `uvicorn --factory kamkor_gateway.main:create_app`."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from fastapi import Depends, FastAPI

from kamkor_common import logs, metrics, telemetry
from kamkor_common.auth import StaticIssuerKeys, verifier_from_settings
from kamkor_common.db import Database, migrate
from kamkor_common.errors import install_error_handlers
from kamkor_common.inputs import HeaderLimit
from kamkor_common.issuer import EmbeddedIssuer
from kamkor_gateway import health
from kamkor_gateway.apidocs.router import router as apidocs_router
from kamkor_gateway.apidocs.service import ApiCatalog
from kamkor_gateway.clients.discovery import router as discovery_router
from kamkor_gateway.clients.router import router as clients_router
from kamkor_gateway.clients.router import token_router
from kamkor_gateway.config import GatewaySettings
from kamkor_gateway.families.router import router as families_router
from kamkor_gateway.paths import PathGuard
from kamkor_gateway.proxy.router import router as proxy_router
from kamkor_gateway.ratelimit import ClientLimiter, RateLimit
from kamkor_gateway.security import AllowlistCORS, SecurityHeaders, cors_options
from kamkor_gateway.upstreams import Upstreams

log = logging.getLogger("kamkor.gateway")

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

DESCRIPTION = """\
Kamkor connects Kyrgyzstan's child-and-family support network: the family registry,
risk screening, referrals to partner organisations and shelter beds. This document
joins the APIs of all services behind this gateway.

Every call needs a bearer token (`Authorization: Bearer …`). Errors are RFC 9457
problem+json documents with a stable `code`; `503 upstream_unavailable` and
`504 upstream_timeout` say which service could not answer. Lists answer
`{items, total, limit, offset}`.

Requests are limited per client (the token's holder, else the address): every answer
carries `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (seconds) and
`RateLimit-Policy`; past the limit the answer is `429 rate_limited` with `Retry-After`.
"""


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    """Build the gateway app: auth, routing to the services, composition, merged docs."""
    settings = settings or GatewaySettings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        logs.setup("gateway", settings.LOG_LEVEL, settings.LOG_FORMAT)
        # httpx logs every request at INFO: the gateway would log each call twice.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        database = Database(
            settings.DATABASE_URL,
            pool_size=settings.DATABASE_POOL_SIZE,
            max_overflow=settings.DATABASE_MAX_OVERFLOW,
        )
        telemetry.instrument_engine(database.engine)
        app.state.database = database
        if settings.MIGRATE_ON_START:
            await migrate(database.engine, MIGRATIONS)
        # Redirects are the caller's business: they pass back untouched.
        # Every pooled connection is kept alive (httpx keeps 20 by default): under load,
        # a connection closed after each call costs a new TCP handshake per request.
        limits = httpx.Limits(
            max_connections=settings.UPSTREAM_MAX_CONNECTIONS,
            max_keepalive_connections=settings.UPSTREAM_MAX_CONNECTIONS,
            keepalive_expiry=settings.UPSTREAM_KEEPALIVE_EXPIRY_S,
        )
        async with httpx.AsyncClient(
            timeout=settings.UPSTREAM_TIMEOUT_S, follow_redirects=False, limits=limits
        ) as client:
            telemetry.instrument_httpx(client)
            app.state.upstreams = Upstreams(client=client, urls=settings.upstream_urls())
            log.info("gateway started: %s", settings.upstream_urls())
            try:
                yield
            finally:
                await database.dispose()
                telemetry.shutdown()

    telemetry.setup("gateway", settings.OTLP_ENDPOINT)
    app = FastAPI(
        title="Kamkor API",
        description=DESCRIPTION,
        version="0.1.0",
        lifespan=lifespan,
        # Served by the apidocs router instead: the document is merged from the services.
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(telemetry.tag_request)],
    )
    app.state.settings = settings
    # The gateway signs the tokens of the client-credentials grant and serves the keys.
    issuer = EmbeddedIssuer.from_settings(settings, issuer=settings.CLIENT_TOKEN_ISSUER)
    app.state.token_issuer = issuer
    verifier = verifier_from_settings(settings)
    # Its own keys in hand: fetching them from itself would block its own event loop.
    verifier.issuers[issuer.issuer] = StaticIssuerKeys(issuer.jwks())
    app.state.token_verifier = verifier
    app.state.api_catalog = ApiCatalog(
        # Looked up at each call: install_error_handlers wraps it to document the problems.
        lambda: app.openapi(),
        timeout_s=settings.READINESS_TIMEOUT_S,
        retry_s=settings.OPENAPI_RETRY_S,
    )
    install_error_handlers(app)
    # Added innermost first. A request meets: security headers (on every answer, refusals
    # included), the header size limit, CORS (so that a browser can read a 429), the
    # rate limit, the path check.
    app.add_middleware(PathGuard)
    if settings.RATE_LIMIT_ENABLED:
        app.state.limiter = ClientLimiter(settings)
        app.add_middleware(RateLimit, limiter=app.state.limiter)
    if settings.CORS_ORIGINS:
        app.add_middleware(AllowlistCORS, **cors_options(settings.CORS_ORIGINS))
    # Oversized headers are refused before anything reads them.
    app.add_middleware(HeaderLimit, max_bytes=settings.MAX_HEADER_BYTES)
    app.add_middleware(
        SecurityHeaders, hsts_max_age_s=settings.HSTS_MAX_AGE_S if settings.HTTPS else None
    )
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(apidocs_router)
    app.include_router(families_router)
    app.include_router(discovery_router)
    app.include_router(clients_router)
    app.include_router(token_router)
    app.include_router(proxy_router)
    telemetry.instrument_app(app)
    return app
