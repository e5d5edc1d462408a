"""How a trace crosses the streams: the envelope carries it, the consumer continues it.

**Publishing.** An event recorded while a span is current carries that span's W3C
context (``traceparent``, ``tracestate``) in ``Envelope.trace``: the HTTP request that
caused it, or the span applying the event that caused it (looked up by causation id,
since a batch handler records the events of several causes in one call).

**Applying.** Each applied event gets its own span, ``apply <event type>``, whose
parent is the context in its envelope, so a consultation's trace goes on in every
service it reaches whatever else arrived in the same batch. A span has one parent,
though, and a batch's transaction (its inbox insert, a batch handler's statements,
its commit) serves every event in it. So:

- a batch of one event: that event's span is the batch, current for the whole
  transaction — its statements are its children;
- a batch of several: an ``apply batch <stream>`` span of its own (a new trace) holds
  the transaction and links to each event's context; each event's span is a child of
  its envelope's context and links back to the batch span. An ordinary handler's
  statements are children of its event's span; a batch handler's, of the batch span.

Links, not parents, for the batch: making it a child of one event's trace would put
the other events' work in a trace that is not theirs.

**Relaying.** The relay sends a batch of committed events in one pipeline, by the same
rule: one event, a ``publish <event type>`` span in its trace (the wait in the outbox
shows as the gap before it); several, one ``publish batch`` span linked to each. Events
that carry no trace get no span."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from types import MappingProxyType
from typing import TYPE_CHECKING

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from shared.events import stream_for
from shared.tracing import StreamSpans

if TYPE_CHECKING:
    from shared.events import Envelope

_propagator = TraceContextTextMapPropagator()
# The spans applying events in this task, by event id (see ``carrier_for``).
_applying: ContextVar[Mapping[str, Span]] = ContextVar("tsunagi_applying", default=MappingProxyType({}))


def carrier_for(causation_id: str | None) -> dict[str, str] | None:
    """The trace context for an event recorded now (``shared.tracing.trace_carrier``)."""
    span = _applying.get().get(causation_id) if causation_id else None
    carrier: dict[str, str] = {}
    _propagator.inject(carrier, trace.set_span_in_context(span) if span is not None else None)
    return carrier or None


def parent_of(envelope: Envelope) -> Context | None:
    """The context an envelope carries (an empty one — a new trace — if it is unreadable);
    None when it carries none."""
    return _propagator.extract(envelope.trace) if envelope.trace else None


@contextlib.contextmanager
def running(span: Span, unless: Callable[[], bool] = lambda: False) -> Iterator[Span]:
    """``span`` is current while the block runs and ends with it. A failure is recorded
    by its type only (an exception's message can quote the data it failed on), and not
    at all if ``unless()`` says the handler's own failure was recorded already."""
    with trace.use_span(span, end_on_exit=True, record_exception=False, set_status_on_exception=False):
        try:
            yield span
        except Exception as exc:
            if not unless():
                failed(span, exc)
            raise


def failed(span: Span, exc: Exception) -> None:
    span.set_attribute("error.type", type(exc).__name__)
    span.set_status(Status(StatusCode.ERROR))


@contextlib.contextmanager
def _registered(spans: Mapping[str, Span]) -> Iterator[None]:
    token = _applying.set({**_applying.get(), **spans})
    try:
        yield
    finally:
        _applying.reset(token)


class TracedStreamSpans(StreamSpans):
    """The relay's and the consumer's spans for one service (see the module's docstring)."""

    def __init__(self, tracer: Tracer, service: str) -> None:
        self.tracer = tracer
        self.service = service

    def event_span(self, envelope: Envelope, stream: str, parent: Context | None, links: Iterable[Link] = ()) -> Span:
        return self.tracer.start_span(
            f"apply {envelope.type}",
            context=parent,
            kind=SpanKind.CONSUMER,
            links=list(links),
            attributes={
                **self._event_attributes(envelope, stream, "process"),
                "messaging.consumer.group.name": self.service,
            },
        )

    def _event_attributes(self, envelope: Envelope, stream: str, operation: str) -> dict[str, str]:
        return {
            "tsunagi.service": self.service,
            "tsunagi.event.id": envelope.event_id,
            "tsunagi.event.type": envelope.type,
            "messaging.system": "redis",
            "messaging.operation.type": operation,
            "messaging.destination.name": stream,
        }

    @contextlib.contextmanager
    def publishing(self, envelopes: Sequence[Envelope]) -> Iterator[object]:
        contexts = _span_contexts(envelopes)
        if not contexts:
            yield None
            return
        if len(envelopes) == 1:
            envelope = envelopes[0]
            span = self.tracer.start_span(
                f"publish {envelope.type}",
                context=parent_of(envelope),
                kind=SpanKind.PRODUCER,
                attributes=self._event_attributes(envelope, stream_for(envelope.type), "send"),
            )
        else:
            span = self.tracer.start_span(
                "publish batch",
                context=Context(),
                kind=SpanKind.PRODUCER,
                links=[Link(c) for c in contexts],
                attributes={
                    "tsunagi.service": self.service,
                    "messaging.system": "redis",
                    "messaging.operation.type": "send",
                    "messaging.batch.message_count": len(envelopes),
                },
            )
        with running(span):
            yield None

    @contextlib.contextmanager
    def applying(self, stream: str, envelopes: Iterable[Envelope]) -> Iterator[StreamSpans]:
        envelopes = list(envelopes)
        if len(envelopes) == 1:
            envelope = envelopes[0]
            one = _OneEvent(envelope.event_id, self.event_span(envelope, stream, parent_of(envelope)))
            with running(one.span, unless=lambda: one.failed), _registered({envelope.event_id: one.span}):
                yield one
            return
        span = self.tracer.start_span(
            f"apply batch {stream}",
            context=Context(),
            kind=SpanKind.CONSUMER,
            links=[Link(ctx) for ctx in _span_contexts(envelopes)],
            attributes={
                "tsunagi.service": self.service,
                "messaging.system": "redis",
                "messaging.operation.type": "process",
                "messaging.destination.name": stream,
                "messaging.consumer.group.name": self.service,
                "messaging.batch.message_count": len(envelopes),
            },
        )
        with running(span):
            yield _SeveralEvents(self, stream, span)


class _OneEvent(StreamSpans):
    """A batch of one: its event's span is already current."""

    def __init__(self, event_id: str, span: Span) -> None:
        self.event_id = event_id
        self.span = span
        self.failed = False

    @contextlib.contextmanager
    def events(self, envelopes: Iterable[Envelope]) -> Iterator[object]:
        """The handler's own failure, by its type (the consumer raises a wrapper of it)."""
        try:
            yield None
        except Exception as exc:
            failed(self.span, exc)
            self.failed = True
            raise

    def duplicate(self, envelope: Envelope) -> None:
        if envelope.event_id == self.event_id:
            self.span.set_attribute("tsunagi.event.duplicate", True)


class _SeveralEvents(StreamSpans):
    def __init__(self, spans: TracedStreamSpans, stream: str, batch_span: Span) -> None:
        self.spans = spans
        self.stream = stream
        self.batch_link = Link(batch_span.get_span_context())

    @contextlib.contextmanager
    def events(self, envelopes: Iterable[Envelope]) -> Iterator[object]:
        spans: dict[str, Span] = {}
        for envelope in envelopes:
            parent = parent_of(envelope)  # none: the batch span is its parent, no link needed
            spans[envelope.event_id] = self.spans.event_span(
                envelope, self.stream, parent, links=[self.batch_link] if parent is not None else []
            )
        with _registered(spans):
            if len(spans) == 1:
                with running(next(iter(spans.values()))):
                    yield None
                return
            try:  # a batch handler: its statements stay under the batch span
                yield None
            except Exception as exc:
                for span in spans.values():
                    failed(span, exc)
                raise
            finally:
                for span in spans.values():
                    span.end()


def _span_contexts(envelopes: Iterable[Envelope]) -> list[trace.SpanContext]:
    """The distinct valid contexts the envelopes carry."""
    found: dict[tuple[int, int], trace.SpanContext] = {}
    for envelope in envelopes:
        parent = parent_of(envelope)
        if parent is not None:
            context = trace.get_current_span(parent).get_span_context()
            if context.is_valid:
                found.setdefault((context.trace_id, context.span_id), context)
    return list(found.values())
