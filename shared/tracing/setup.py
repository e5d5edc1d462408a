"""One service's tracing: its tracer provider (its name on every span), the exporter
behind the privacy list, and the instrumentation of its app, engine and Redis client.

Per service, not per process: tests run several services in one process, and each
span must say which one recorded it. So every instrumentation is given this provider
explicitly and instruments one object (an app, an engine, a client), never a library
as a whole — which also leaves a service that does not trace untouched."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI
from opentelemetry.context import Context
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.instrumentation.sqlalchemy.version import __version__ as sqlalchemy_instrumentation_version
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import (
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import Link, SpanKind, TraceState
from opentelemetry.util.types import Attributes
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.settings import Settings
from shared.tracing import _tracing_started, _tracing_stopped
from shared.tracing.context import TracedStreamSpans, carrier_for
from shared.tracing.privacy import ListedAttributesOnly

# Probes and scrapes are not work anyone follows.
NOT_TRACED_URLS = "/health$,/ready$,/metrics$"
# Metrics come from prometheus-client (shared/runtime.py), not from the instrumentations.
_NO_METRICS = NoOpMeterProvider()
_SQLALCHEMY_INSTRUMENTATION = "opentelemetry.instrumentation.sqlalchemy"


def otlp_exporter(settings: Settings) -> SpanExporter:
    """OTLP over HTTP with protobuf to ``TSUNAGI_OTLP_ENDPOINT`` (lighter than gRPC)."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    assert settings.otlp_endpoint
    endpoint = settings.otlp_endpoint.rstrip("/")
    return OTLPSpanExporter(endpoint=endpoint if endpoint.endswith("/v1/traces") else f"{endpoint}/v1/traces")


class WorkStarts(Sampler):
    """A trace starts only where work starts: an HTTP request (a server span), an
    applied event or batch (a consumer span) or a relayed batch (a producer span),
    ``ratio`` of them. Everything else without a parent
    — the relay's polls, the reclaim loop, lease renewals, timers' queries — would
    otherwise make a one-span trace every few hundred milliseconds."""

    def __init__(self, ratio: float) -> None:
        self.ratio = TraceIdRatioBased(ratio)

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        if kind in (SpanKind.SERVER, SpanKind.CONSUMER, SpanKind.PRODUCER):
            return self.ratio.should_sample(parent_context, trace_id, name, kind, attributes, links, trace_state)
        return SamplingResult(Decision.DROP)

    def get_description(self) -> str:
        return f"WorkStarts({self.ratio.rate})"


class Tracing:
    def __init__(self, settings: Settings, service: str, instance: str, exporter: SpanExporter) -> None:
        self.service = service
        resource = Resource.create(
            {"service.name": f"tsunagi-{service}", "service.namespace": "tsunagi", "service.instance.id": instance}
        )
        self.provider = TracerProvider(
            resource=resource, sampler=ParentBased(root=WorkStarts(settings.trace_sample_ratio))
        )
        self.provider.add_span_processor(BatchSpanProcessor(ListedAttributesOnly(exporter)))
        self.spans = TracedStreamSpans(self.provider.get_tracer("tsunagi"), service)
        _tracing_started(carrier_for)

    def instrument_app(self, app: FastAPI) -> None:
        """A server span per request, named by method and route template."""
        FastAPIInstrumentor.instrument_app(
            app,
            tracer_provider=self.provider,
            meter_provider=_NO_METRICS,
            excluded_urls=NOT_TRACED_URLS,
            exclude_spans=["receive", "send"],
        )

    def instrument_engine(self, engine: AsyncEngine) -> None:
        """A span per statement. The instrumentor's ``instrument(engine=…)`` works once per
        process, so this engine gets its own ``EngineTracer`` (what that call makes)."""
        tracer = self.provider.get_tracer(_SQLALCHEMY_INSTRUMENTATION, sqlalchemy_instrumentation_version)
        usage = _NO_METRICS.get_meter(_SQLALCHEMY_INSTRUMENTATION).create_up_down_counter("db.client.connections.usage")
        EngineTracer(tracer, engine.sync_engine, usage)

    def instrument_redis(self, client: Redis) -> None:
        """A span per command or pipeline (the command's name; its arguments as ``?``)."""
        RedisInstrumentor.instrument_client(client, tracer_provider=self.provider)

    def shutdown(self) -> None:
        """Exports what is pending, then stops."""
        self.provider.shutdown()
        _tracing_stopped()
