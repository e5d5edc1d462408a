"""What a span may carry out of the process: the attributes listed here, nothing else.

The instrumentations record more than we want to send: the raw path (it can hold a
reference number), the full URL with its query, the user agent, the client's address,
an exception's message (it can quote the data it failed on). Rather than trust each
instrumentation's version, every span passes this list on its way to the exporter."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import Link, Status

ALLOWED_ATTRIBUTES = frozenset(
    {
        # HTTP: the method, the route template and the answer; both semantic-convention generations.
        "http.method",
        "http.request.method",
        "http.route",
        "http.status_code",
        "http.response.status_code",
        "http.scheme",
        "url.scheme",
        "http.flavor",
        "network.protocol.version",
        "error.type",
        # Databases and Redis: statements with placeholders, command names without arguments.
        "db.system",
        "db.system.name",
        "db.name",
        "db.namespace",
        "db.statement",
        "db.query.text",
        "db.operation",
        "db.operation.name",
        "db.redis.database_index",
        "db.redis.args_length",
        "db.redis.pipeline_length",
        "net.peer.name",
        "net.peer.port",
        "server.address",
        "server.port",
        "net.host.port",
        "net.transport",
        "network.transport",
        # The streams.
        "messaging.system",
        "messaging.operation.type",
        "messaging.destination.name",
        "messaging.consumer.group.name",
        "messaging.batch.message_count",
        # An exception event keeps its type, never its message or stack trace.
        "exception.type",
    }
)
# Ours (shared/tracing/context.py): event ids and types, the service. Not the correlation
# id: traces and logs join on the event id, which logs carry too.
ALLOWED_PREFIX = "tsunagi."


def allowed(key: str) -> bool:
    return key in ALLOWED_ATTRIBUTES or key.startswith(ALLOWED_PREFIX)


def _listed(attributes: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (attributes or {}).items() if allowed(k)}


def listed_only(span: ReadableSpan) -> ReadableSpan:
    """A copy of ``span`` with only the listed attributes (on it and its events), links
    without attributes, and its status without a description."""
    return ReadableSpan(
        name=span.name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=_listed(span.attributes),
        events=[Event(e.name, _listed(e.attributes), e.timestamp) for e in span.events],
        links=[Link(link.context) for link in span.links],
        kind=span.kind,
        status=Status(span.status.status_code),
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


class ListedAttributesOnly(SpanExporter):
    """Exports through ``exporter`` what ``listed_only`` keeps of each span."""

    def __init__(self, exporter: SpanExporter) -> None:
        self.exporter = exporter

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self.exporter.export([listed_only(span) for span in spans])

    def shutdown(self) -> None:
        self.exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self.exporter.force_flush(timeout_millis)
