"""Traces (shared/tracing): off by default at no cost; the context an event carries; the
spans of a batch; what a span may carry out of the process. An in-memory exporter, no I/O."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

import shared.tracing.setup as tracing_setup
from shared.events import SYSTEM, CaseOpened, Envelope
from shared.settings import Settings
from shared.tracing import NO_SPANS, start_tracing, trace_carrier
from shared.tracing.privacy import listed_only
from shared.tracing.setup import Tracing

OPENED = CaseOpened(
    case_id="C1",
    case_number="K-1",
    area="中部",
    consultation_id="X",
    reference="TSN-1",
    reporter_id="r",
    urgency="通常",
    categories=["孤立"],
)


def opened(correlation_id: str = "corr") -> Envelope:
    return Envelope.wrap(OPENED, aggregate_id="C1", actor=SYSTEM, correlation_id=correlation_id, case_id="C1")


@pytest.fixture
def traced() -> Iterator[tuple[Tracing, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    tracing = Tracing(Settings(mode="test", otlp_endpoint="http://collector.test:4318"), "case", "case-1", exporter)
    yield tracing, exporter
    tracing.shutdown()


def finished(tracing: Tracing, exporter: InMemorySpanExporter) -> dict[str, ReadableSpan]:
    tracing.provider.force_flush()
    return {span.name: span for span in exporter.get_finished_spans()}


def test_off_by_default_an_envelope_is_as_before_and_no_exporter_is_made(monkeypatch) -> None:
    def no_exporter(_settings: Settings) -> None:
        raise AssertionError("an exporter was made while tracing is off")

    monkeypatch.setattr(tracing_setup, "otlp_exporter", no_exporter)
    settings = Settings(mode="test")
    assert settings.otlp_endpoint is None
    assert start_tracing(settings, "case", "case-1") is None
    assert start_tracing(Settings(mode="test", otlp_endpoint=""), "case", "case-1") is None  # compose's unset
    assert trace_carrier() is None
    envelope = opened()
    assert envelope.trace is None
    assert "trace" not in envelope.model_dump(mode="json") and '"trace"' not in envelope.model_dump_json()
    with NO_SPANS.applying("tsunagi.case", [envelope]) as spans, spans.events([envelope]):
        spans.duplicate(envelope)
    with NO_SPANS.publishing([envelope]):
        pass


def test_the_field_is_additive_old_envelopes_parse_and_new_ones_round_trip() -> None:
    old = opened().model_dump(mode="json")
    assert Envelope.model_validate(old).trace is None
    carrier = {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
    new = Envelope.model_validate({**old, "trace": carrier})
    assert Envelope.model_validate_json(new.model_dump_json()).trace == carrier


def test_an_event_recorded_in_a_span_carries_its_context(traced) -> None:
    tracing, _exporter = traced
    tracer = tracing.provider.get_tracer("test")
    with tracer.start_as_current_span("POST /v1/consultations", kind=SpanKind.SERVER) as request:
        envelope = opened()
    context = request.get_span_context()
    assert envelope.trace == {"traceparent": f"00-{context.trace_id:032x}-{context.span_id:016x}-03"}
    assert opened().trace is None  # no span current: nothing to continue


def test_one_event_its_span_is_a_child_of_its_envelope_and_holds_the_transaction(traced) -> None:
    tracing, exporter = traced
    tracer = tracing.provider.get_tracer("test")
    with tracer.start_as_current_span("POST /v1/consultations", kind=SpanKind.SERVER):
        cause = opened()
    with tracing.spans.applying("tsunagi.case", [cause]) as spans, spans.events([cause]):
        with tracer.start_as_current_span("INSERT", kind=SpanKind.CLIENT):
            pass
        effect = cause.caused(OPENED, aggregate_id="C1", actor=SYSTEM)
        spans.duplicate(cause)
    spans_by_name = finished(tracing, exporter)
    request, applied, statement = (spans_by_name[n] for n in ("POST /v1/consultations", "apply case.opened", "INSERT"))
    assert applied.parent.span_id == request.context.span_id and applied.kind == SpanKind.CONSUMER
    assert statement.parent.span_id == applied.context.span_id
    assert dict(applied.attributes) == {
        "tsunagi.service": "case",
        "tsunagi.event.id": cause.event_id,
        "tsunagi.event.type": "case.opened",
        "messaging.system": "redis",
        "messaging.operation.type": "process",
        "messaging.destination.name": "tsunagi.case",
        "messaging.consumer.group.name": "case",
        "tsunagi.event.duplicate": True,
    }
    assert effect.trace["traceparent"].split("-")[2] == f"{applied.context.span_id:016x}"


def test_a_batch_of_two_traces_links_them_and_each_event_stays_in_its_own(traced) -> None:
    tracing, exporter = traced
    tracer = tracing.provider.get_tracer("test")
    causes = []
    for name in ("POST a", "POST b"):
        with tracer.start_as_current_span(name, kind=SpanKind.SERVER):
            causes.append(opened())
    with tracing.spans.applying("tsunagi.case", causes) as spans, spans.events(causes):
        # A batch handler records each effect with its cause: it joins that cause's trace.
        effects = [c.caused(OPENED, aggregate_id="C1", actor=SYSTEM) for c in causes]
    tracing.provider.force_flush()
    done = exporter.get_finished_spans()
    requests = [s for s in done if s.name.startswith("POST")]
    batch = next(s for s in done if s.name == "apply batch tsunagi.case")
    applied = [s for s in done if s.name == "apply case.opened"]
    assert batch.parent is None and len(applied) == 2
    assert {link.context.span_id for link in batch.links} == {r.context.span_id for r in requests}
    for request, span, effect in zip(requests, sorted(applied, key=lambda s: s.start_time), effects, strict=True):
        assert span.context.trace_id == request.context.trace_id != batch.context.trace_id
        assert span.parent.span_id == request.context.span_id
        assert [link.context.span_id for link in span.links] == [batch.context.span_id]
        assert effect.trace["traceparent"].split("-")[1:3] == [
            f"{span.context.trace_id:032x}",
            f"{span.context.span_id:016x}",
        ]


def test_a_failure_is_recorded_by_its_type_never_its_message(traced) -> None:
    tracing, exporter = traced
    envelope = opened()
    with (
        pytest.raises(ValueError),
        tracing.spans.applying("tsunagi.case", [envelope]) as spans,
        spans.events([envelope]),
    ):
        raise ValueError("山田 花子 は見つかりません")
    span = finished(tracing, exporter)["apply case.opened"]
    assert span.status.status_code == StatusCode.ERROR and not span.status.description
    assert span.attributes["error.type"] == "ValueError" and not span.events


def test_only_listed_attributes_leave_the_process() -> None:
    span = ReadableSpan(
        name="GET /v1/consultations/{reference}",
        attributes={
            "http.route": "/v1/consultations/{reference}",
            "http.target": "/v1/consultations/TSN-1",
            "url.path": "/v1/consultations/TSN-1",
            "url.query": "q=山田",
            "http.url": "http://x/?q=山田",
            "http.user_agent": "Mozilla",
            "net.peer.ip": "192.0.2.1",
            "client.address": "192.0.2.1",
            "http.status_code": 200,
            "db.statement": "SELECT 1",
            "tsunagi.event.id": "E1",
        },
        events=[
            Event(
                "exception",
                {"exception.type": "ValueError", "exception.message": "山田", "exception.stacktrace": "…山田"},
            )
        ],
    )
    kept = listed_only(span)
    assert dict(kept.attributes) == {
        "http.route": "/v1/consultations/{reference}",
        "http.status_code": 200,
        "db.statement": "SELECT 1",
        "tsunagi.event.id": "E1",
    }
    assert [dict(e.attributes) for e in kept.events] == [{"exception.type": "ValueError"}]


def test_traces_start_only_where_work_starts(traced) -> None:
    tracing, _exporter = traced
    tracer = tracing.provider.get_tracer("test")
    with tracer.start_as_current_span("XREADGROUP", kind=SpanKind.CLIENT) as poll:
        assert not poll.is_recording()  # a background loop's command: no trace of its own
    with tracer.start_as_current_span("GET /v1/cases", kind=SpanKind.SERVER) as request:
        assert request.is_recording()
        with tracer.start_as_current_span("SELECT", kind=SpanKind.CLIENT) as statement:
            assert statement.is_recording()
