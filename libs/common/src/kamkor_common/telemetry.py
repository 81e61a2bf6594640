"""OpenTelemetry set up once per process; trace context carried through headers."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

import httpx
from fastapi import FastAPI
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

log = logging.getLogger("kamkor.telemetry")
_provider: TracerProvider | None = None


def setup(
    service_name: str, otlp_endpoint: str | None = None, exporter: SpanExporter | None = None
) -> TracerProvider:
    """Install the process's tracer provider; export over OTLP/HTTP when an endpoint is set."""
    global _provider
    if _provider is not None:
        if exporter is not None:
            _provider.add_span_processor(BatchSpanProcessor(exporter))
        return _provider
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = otlp_endpoint.rstrip("/")
        if not endpoint.endswith("/v1/traces"):
            endpoint += "/v1/traces"
        provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint), schedule_delay_millis=500)
        )
        log.info("exporting traces over OTLP to %s", endpoint)
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    _provider = provider
    return provider


def shutdown() -> None:
    if _provider is not None:
        _provider.force_flush(5000)
        _provider.shutdown()


def instrument_app(app: FastAPI) -> None:
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    # The per-message `http send` / `http receive` spans cost more than they tell: the
    # server span already covers the request.
    FastAPIInstrumentor.instrument_app(
        app, excluded_urls="livez,readyz", exclude_spans=["receive", "send"]
    )


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
