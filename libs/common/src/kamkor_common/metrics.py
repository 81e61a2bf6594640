"""OpenTelemetry metrics: read by Prometheus at `/metrics`, pushed over OTLP when configured.

The instruments live here, one place for every name in docs/metrics.md. They are made on
the API's proxy meter, so that a module may record before the process has set up its
provider; until then, and in a process that never does, recording costs next to nothing.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable, Mapping

from fastapi import APIRouter, Response
from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource

log = logging.getLogger("kamkor.metrics")
_provider: MeterProvider | None = None
_meter = metrics.get_meter("kamkor")

# Seconds, from a fast hop to a slow minute: flag → referral is meant to be well under one.
FAST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
# Seconds, from a minute to the three days a routine referral may wait for an answer.
SLOW_BUCKETS = (60, 300, 900, 1800, 3600, 7200, 14400, 28800, 43200, 86400, 172800, 259200)


class Gauge:
    """An observable gauge whose values the process's workers set; readers see the last."""

    def __init__(self, name: str, *, unit: str, description: str) -> None:
        self._values: dict[tuple[tuple[str, str], ...], float] = {}
        self._lock = threading.Lock()
        _meter.create_observable_gauge(
            name, callbacks=[self._observe], unit=unit, description=description
        )

    def set(self, value: float, **attributes: str) -> None:
        key = tuple(sorted(attributes.items()))
        with self._lock:
            self._values[key] = value

    def replace(self, values: Iterable[tuple[Mapping[str, str], float]], **common: str) -> None:
        """Put a whole reading in place (a GROUP BY's rows): series not in it drop to zero.

        Only the series carrying `common` are replaced, so that processes sharing a gauge
        (tests run several services in one) do not wipe each other's.
        """
        fresh = {tuple(sorted({**attrs, **common}.items())): value for attrs, value in values}
        mine = set(common.items())
        with self._lock:
            for key in list(self._values):
                if mine <= set(key) and key not in fresh:
                    self._values[key] = 0.0
            self._values.update(fresh)

    def value(self, **attributes: str) -> float | None:
        return self._values.get(tuple(sorted(attributes.items())))

    def _observe(self, options: CallbackOptions) -> Iterable[Observation]:
        with self._lock:
            items = list(self._values.items())
        return [Observation(value, dict(key)) for key, value in items]


# --- the instruments (names as Prometheus shows them are in docs/metrics.md) ----------

consumer_events = _meter.create_counter(
    "kamkor.consumer.events",
    description="Events a consumer group took off a topic, by what became of them",
)
dlq_events = _meter.create_counter(
    "kamkor.dlq.events", description="Events a consumer group parked on its dead-letter topic"
)
consumer_lag = Gauge(
    "kamkor.consumer.lag",
    unit="",
    description="Events on a partition not yet handled by the group (last fetch)",
)
outbox_backlog = Gauge(
    "kamkor.outbox.backlog", unit="", description="Outbox rows not yet published"
)
outbox_oldest_age = Gauge(
    "kamkor.outbox.oldest_age",
    unit="s",
    description="Age of the oldest outbox row not yet published",
)
flag_to_referral = _meter.create_histogram(
    "kamkor.flag_to_referral",
    unit="s",
    description="From the family-flagged event to the referral it opened",
)
partner_response = _meter.create_histogram(
    "kamkor.partner_response",
    unit="s",
    description="From a referral's routing to the partner's answer (or the deadline)",
)
referrals = Gauge(
    "kamkor.referrals", unit="", description="Referrals by status, service type and priority"
)
referral_unassigned_oldest_age = Gauge(
    "kamkor.referral.unassigned_oldest_age",
    unit="s",
    description="How long the oldest unassigned referral of each priority has waited",
)
webhook_deliveries = _meter.create_counter(
    "kamkor.webhook.deliveries", description="Webhook delivery attempts by outcome"
)
webhook_endpoints_disabled = Gauge(
    "kamkor.webhook.endpoints_disabled",
    unit="",
    description="Partner webhook endpoints disabled (410 Gone or by hand)",
)


def setup(service_name: str, otlp_endpoint: str | None = None) -> MeterProvider | None:
    """Install the process's meter provider: Prometheus always, OTLP when an endpoint is set.

    The standard `OTEL_*` variables win over Kamkor's: `OTEL_SDK_DISABLED=true` turns
    metrics off, `OTEL_METRICS_EXPORTER` chooses the exporters (`prometheus`, `otlp`,
    `none`, comma separated), `OTEL_EXPORTER_OTLP_[METRICS_]ENDPOINT` the OTLP target.
    """
    global _provider
    if _provider is not None:
        return _provider
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return None
    exporters = _exporters(otlp_endpoint)
    readers: list[MetricReader] = []
    if "prometheus" in exporters:
        from opentelemetry.exporter.prometheus import PrometheusMetricReader

        readers.append(PrometheusMetricReader())
    if "otlp" in exporters:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

        exporter = (
            OTLPMetricExporter()
            if _otlp_from_env("METRICS")
            else OTLPMetricExporter(endpoint=_signal_url(otlp_endpoint or "", "metrics"))
        )
        readers.append(PeriodicExportingMetricReader(exporter))
    provider = MeterProvider(
        resource=service_resource(service_name), metric_readers=readers, views=_views()
    )
    metrics.set_meter_provider(provider)
    _provider = provider
    return provider


def flush() -> None:
    """Push what is recorded; the provider itself shuts down when the process exits.

    Not shut down with an app: a process may run several apps in turn (tests do), and a
    shut-down provider would record nothing for the next.
    """
    if _provider is not None:
        _provider.force_flush(timeout_millis=5000)


def service_resource(service_name: str) -> Resource:
    """The process's resource: `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` win."""
    if os.environ.get("OTEL_SERVICE_NAME"):
        return Resource.create()
    return Resource.create({"service.name": service_name})


def _exporters(otlp_endpoint: str | None) -> set[str]:
    chosen = os.environ.get("OTEL_METRICS_EXPORTER")
    if chosen is not None:
        return {name.strip() for name in chosen.split(",")} - {"none", ""}
    exporters = {"prometheus"}
    if otlp_endpoint or _otlp_from_env("METRICS"):
        exporters.add("otlp")
    return exporters


def _otlp_from_env(signal: str) -> bool:
    return bool(
        os.environ.get(f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT")
        or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    )


def _signal_url(endpoint: str, signal: str) -> str:
    """`http://collector:4318` → `http://collector:4318/v1/<signal>`."""
    url = endpoint.rstrip("/")
    return url if url.endswith(f"/v1/{signal}") else f"{url}/v1/{signal}"


def _views() -> list[View]:
    fast = ExplicitBucketHistogramAggregation(boundaries=FAST_BUCKETS)
    return [
        View(instrument_name="kamkor.flag_to_referral", aggregation=fast),
        View(instrument_name="http.server.request.duration", aggregation=fast),
        View(
            instrument_name="kamkor.partner_response",
            aggregation=ExplicitBucketHistogramAggregation(boundaries=SLOW_BUCKETS),
        ),
    ]


router = APIRouter(tags=["metrics"])


@router.get("/metrics", include_in_schema=False)
async def prometheus_metrics() -> Response:
    """The process's metrics in the Prometheus text format (scraped inside the cluster)."""
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
