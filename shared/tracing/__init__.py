"""Traces with OpenTelemetry: one consultation is one trace across the services.

Off unless ``TSUNAGI_OTLP_ENDPOINT`` names a collector. Then each service process
records a server span per HTTP request (named by its route template), a span per SQL
statement and Redis command made inside one, and a span per event it applies; the
trace context travels in each event's envelope (``Envelope.trace``), so the spans of
the services an event passes through form one tree (``context.py`` says how, also for
a batch of events from several traces). What a span may hold is listed in
``privacy.py``: route templates, SQL with placeholders, Redis command names, event ids
and types — never a request's body, headers, query or path, nor a parameter value.

This module imports no OpenTelemetry: while tracing is off, ``trace_carrier`` and the
the relay's and the consumer's spans (``StreamSpans``) return at their first line."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shared.events import Envelope
    from shared.settings import Settings
    from shared.tracing.setup import Tracing

# Set while at least one service of this process traces (tests run several in one).
_carrier_for: Callable[[str | None], dict[str, str] | None] | None = None
_services_tracing = 0


def trace_carrier(causation_id: str | None = None) -> dict[str, str] | None:
    """The W3C trace context an event recorded now carries in its envelope: that of the
    span applying its cause (``causation_id``), else of the current span; None when
    tracing is off or no span is current."""
    if _carrier_for is None:
        return None
    return _carrier_for(causation_id)


def start_tracing(settings: Settings, service: str, instance: str) -> Tracing | None:
    """The service's tracing, or None when no OTLP endpoint is configured (the default;
    empty counts as unset, as compose passes an unset variable)."""
    if not settings.otlp_endpoint:
        return None
    from shared.tracing.setup import Tracing, otlp_exporter

    return Tracing(settings, service, instance, otlp_exporter(settings))


def _tracing_started(carrier_for: Callable[[str | None], dict[str, str] | None]) -> None:
    global _carrier_for, _services_tracing
    _services_tracing += 1
    _carrier_for = carrier_for


def _tracing_stopped() -> None:
    global _carrier_for, _services_tracing
    _services_tracing = max(0, _services_tracing - 1)
    if _services_tracing == 0:
        _carrier_for = None


class StreamSpans:
    """The spans of the events a service publishes and applies (``context.TracedStreamSpans``).
    This base records none: it is what a service that does not trace uses.

    ``publishing``: the relay's block sending these events; ``applying``: the consumer's
    block applying these events in one transaction, and within it ``events``: the block
    running one handler for these events; ``duplicate``: this event was applied before."""

    def publishing(self, envelopes: Sequence[Envelope]) -> AbstractContextManager[object]:
        return _NOTHING

    def applying(self, stream: str, envelopes: Iterable[Envelope]) -> AbstractContextManager[StreamSpans]:
        return _NO_BATCH

    def events(self, envelopes: Iterable[Envelope]) -> AbstractContextManager[object]:
        return _NOTHING

    def duplicate(self, envelope: Envelope) -> None:
        return None


NO_SPANS = StreamSpans()
_NO_BATCH = contextlib.nullcontext(NO_SPANS)
_NOTHING = contextlib.nullcontext()
