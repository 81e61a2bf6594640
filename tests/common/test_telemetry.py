"""Telemetry: the standard OTEL_* variables, span tags, JSON logs with trace ids."""

from __future__ import annotations

import io
import json
import logging

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from kamkor_common import logs, metrics, telemetry


class TestExporterChoice:
    def test_the_standard_endpoint_wins_over_kamkors(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://collector:4318/v1/traces")
        exporter = telemetry._otlp_span_exporter("http://elsewhere:4318")
        assert exporter is not None
        assert getattr(exporter, "_endpoint", None) == "http://collector:4318/v1/traces"

    def test_kamkors_endpoint_gets_the_traces_path(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
        monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
        exporter = telemetry._otlp_span_exporter("http://collector:4318/")
        assert getattr(exporter, "_endpoint", None) == "http://collector:4318/v1/traces"

    def test_traces_exporter_none_exports_nothing(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
        assert telemetry._otlp_span_exporter("http://collector:4318") is None

    def test_metrics_exporters_follow_otel_metrics_exporter(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
        monkeypatch.delenv("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", raising=False)
        assert metrics._exporters(None) == {"prometheus"}
        assert metrics._exporters("http://collector:4318") == {"prometheus", "otlp"}
        monkeypatch.setenv("OTEL_METRICS_EXPORTER", "none")
        assert metrics._exporters("http://collector:4318") == set()

    def test_otel_service_name_wins(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("OTEL_SERVICE_NAME", "referral-worker")
        monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=prod")
        resource = metrics.service_resource("referral")
        assert resource.attributes["service.name"] == "referral-worker"
        assert resource.attributes["deployment.environment"] == "prod"


@pytest.fixture
def recording_span() -> trace.Span:
    return TracerProvider().get_tracer("test").start_span("work")


class TestTags:
    def test_an_event_tags_the_span_from_its_subject_and_data(
        self, recording_span: trace.Span
    ) -> None:
        with trace.use_span(recording_span, end_on_exit=True):
            telemetry.tag_event("referral/r-1", {"household_id": "h-1", "name": "Айдай"})
        attributes = dict(recording_span.attributes or {})  # type: ignore[attr-defined]
        assert attributes == {"kamkor.household_id": "h-1", "kamkor.referral_id": "r-1"}

    def test_a_household_subject_is_enough(self, recording_span: trace.Span) -> None:
        with trace.use_span(recording_span, end_on_exit=True):
            telemetry.tag_event("household/h-2", {})
        attributes = dict(recording_span.attributes or {})  # type: ignore[attr-defined]
        assert attributes == {"kamkor.household_id": "h-2"}


class TestJsonLogs:
    def test_a_line_is_json_with_the_trace_and_span_ids(self, recording_span: trace.Span) -> None:
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logs.JsonFormatter("referral"))
        logger = logging.getLogger("kamkor.test.json")
        logger.addHandler(handler)
        logger.propagate = False
        try:
            with trace.use_span(recording_span, end_on_exit=True):
                logger.warning("referral %s moved on", "r-1", extra={"referral_id": "r-1"})
        finally:
            logger.removeHandler(handler)
        line = json.loads(stream.getvalue())
        context = recording_span.get_span_context()
        assert line["message"] == "referral r-1 moved on"
        assert line["service"] == "referral"
        assert line["level"] == "WARNING"
        assert line["referral_id"] == "r-1"
        assert line["trace_id"] == format(context.trace_id, "032x")
        assert line["span_id"] == format(context.span_id, "016x")
