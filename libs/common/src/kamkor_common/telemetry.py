"""OpenTelemetry set up once per process; trace context carried through headers."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping

import httpx
from fastapi import FastAPI, Request
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from sqlalchemy.ext.asyncio import AsyncEngine

from kamkor_common import metrics

# HTTP spans and metrics under the stable names (`http.server.request.duration`, in
# seconds). Set on import: the instrumentations read it once, at their first use.
os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "http")

log = logging.getLogger("kamkor.telemetry")
_provider: TracerProvider | None = None
_exporting = False


def setup(
    service_name: str, otlp_endpoint: str | None = None, exporter: SpanExporter | None = None
) -> TracerProvider:
    """Install the process's tracer and meter providers.

    Traces go over OTLP/HTTP when an endpoint is set. The standard `OTEL_*` variables win
    over `KAMKOR_OTLP_ENDPOINT`: `OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT` (with its
    `_HEADERS`, `_TIMEOUT`, `_COMPRESSION`), `OTEL_TRACES_EXPORTER=none`,
    `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER[_ARG]`,
    `OTEL_BSP_*` and `OTEL_SDK_DISABLED`.
    """
    global _provider
    if _provider is not None:
        if exporter is not None:
            _provider.add_span_processor(BatchSpanProcessor(exporter))
        return _provider
    metrics.setup(service_name, otlp_endpoint)
    disabled = os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true"
    provider = TracerProvider(resource=metrics.service_resource(service_name))
    span_exporter = None if disabled else _otlp_span_exporter(otlp_endpoint)
    if span_exporter is not None:
        delay = None if "OTEL_BSP_SCHEDULE_DELAY" in os.environ else 500
        provider.add_span_processor(BatchSpanProcessor(span_exporter, schedule_delay_millis=delay))
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    _provider = provider
    return provider


def exporting() -> bool:
    """True when spans leave the process (spans nobody reads are not worth making)."""
    return _exporting


def _otlp_span_exporter(otlp_endpoint: str | None) -> SpanExporter | None:
    global _exporting
    if os.environ.get("OTEL_TRACES_EXPORTER", "otlp").lower() == "none":
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    if os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or os.environ.get(
        "OTEL_EXPORTER_OTLP_ENDPOINT"
    ):
        span_exporter = OTLPSpanExporter()  # reads the standard variables itself
        log.info("exporting traces over OTLP as the OTEL_EXPORTER_OTLP_* variables say")
    elif otlp_endpoint:
        endpoint = otlp_endpoint.rstrip("/")
        if not endpoint.endswith("/v1/traces"):
            endpoint += "/v1/traces"
        span_exporter = OTLPSpanExporter(endpoint=endpoint)
        log.info("exporting traces over OTLP to %s", endpoint)
    else:
        return None
    _exporting = True
    return span_exporter


def shutdown() -> None:
    """Push the spans and metrics recorded so far, as an app stops.

    The providers themselves shut down when the process exits: a process may run several
    apps in turn (tests do), and a shut-down provider would record nothing for the next.
    """
    if _provider is not None:
        _provider.force_flush(5000)
    metrics.flush()


def instrument_app(app: FastAPI) -> None:
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    # The per-message `http send` / `http receive` spans cost more than they tell: the
    # server span already covers the request.
    FastAPIInstrumentor.instrument_app(
        app, excluded_urls="livez,readyz,metrics", exclude_spans=["receive", "send"]
    )


def instrument_engine(engine: AsyncEngine) -> None:
    """A span per SQL statement, when spans are exported and `KAMKOR_TRACE_SQL` allows."""
    if not exporting() or os.environ.get("KAMKOR_TRACE_SQL", "true").lower() == "false":
        return
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    # The instrumentation declares SQLAlchemy < 2.1; the engine events it uses are unchanged.
    SQLAlchemyInstrumentor().instrument(
        engine=engine.sync_engine, enable_commenter=False, skip_dep_check=True
    )


# The identifiers that find a family's traces in Tempo (`{ span.kamkor.household_id = "…" }`).
HOUSEHOLD_ID = "kamkor.household_id"
REFERRAL_ID = "kamkor.referral_id"


def tag(*, household_id: str | None = None, referral_id: str | None = None) -> None:
    """Put the family's identifiers on the current span; identifiers only, never names."""
    span = trace.get_current_span()
    if not span.is_recording():
        return
    if household_id:
        span.set_attribute(HOUSEHOLD_ID, household_id)
    if referral_id:
        span.set_attribute(REFERRAL_ID, referral_id)


def tag_event(subject: str | None, data: Mapping[str, object]) -> None:
    """Tag the current span from an event: its subject and the ids its data carries."""
    household = data.get("household_id")
    referral = data.get("referral_id")
    if subject:
        kind, _, value = subject.partition("/")
        household = household or (value if kind == "household" else None)
        referral = referral or (value if kind == "referral" else None)
    tag(
        household_id=household if isinstance(household, str) else None,
        referral_id=referral if isinstance(referral, str) else None,
    )


async def tag_request(request: Request) -> None:
    """An app-wide dependency: a route's `household_id` / `referral_id` path parameters."""
    params = request.path_params
    if "household_id" in params or "referral_id" in params:
        tag(household_id=params.get("household_id"), referral_id=params.get("referral_id"))


def instrument_httpx(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """Trace one client's calls and carry the trace context in their headers.

    One client, not the httpx module: instrumenting every client of the process would
    also rewrite the trace headers of clients that set their own (tests, tools).
    """
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    HTTPXClientInstrumentor.instrument_client(client)
    return client


def tracer(name: str) -> trace.Tracer:
    return trace.get_tracer(name)


def current_carrier() -> dict[str, str]:
    """The W3C trace context of the current span, as a header dict."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def context_from_carrier(carrier: Mapping[str, str]) -> Context:
    return propagate.extract(carrier)


def kafka_headers_to_carrier(headers: Iterable[tuple[str, bytes]] | None) -> dict[str, str]:
    return {k: v.decode("utf-8", "replace") for k, v in (headers or ()) if v is not None}
