"""Each process's Prometheus registry, served at ``GET /metrics``.

Three kinds of figures: HTTP requests, observed as they are answered (by the
correlation middleware); counts the process keeps in memory (events applied), read at
collection; and figures read at scrape time from a *source* — the database or Redis —
each source checked first (``tsunagi_<source>_up``) and bounded by a timeout, so an
unreachable one answers 0 instead of hanging the scrape.

One registry per ``ServiceMetrics``, never the library's global one: tests build
several apps in one process, and each must count only its own. Labels carry the
service, route templates and other bounded values — never personal data or a path."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from shared.logging import get_logger

log = get_logger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST
# Scrapes and probes would drown the requests people make.
NOT_MEASURED = frozenset({"/metrics", "/health", "/ready"})
# Any other method a client sends is one label value, not one each.
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

Gather = Callable[[], Awaitable[Iterable[Metric]]]
Read = Callable[[], Iterable[Metric]]
# Label values (after the service) → value; a bare number for a family without labels.
Rows = Mapping[tuple[str, ...], float] | float


@dataclass
class Source:
    """Something a scrape reads: checked first, then gathered, within one deadline."""

    name: str
    documentation: str
    check: Callable[[], Awaitable[object]]
    timeout_s: float
    gatherers: list[Gather] = field(default_factory=list)


class _Reader:
    """A collector over counts the process keeps itself (read at each collection)."""

    def __init__(self, read: Read) -> None:
        self.read = read

    def collect(self) -> Iterable[Metric]:
        return self.read()


@dataclass
class _Scrape:
    """One scrape's collector: the registry plus what was gathered for this scrape only,
    so two scrapes at once never see each other's figures."""

    registry: CollectorRegistry
    gathered: list[Metric]

    def collect(self) -> Iterator[Metric]:
        yield from self.registry.collect()
        yield from self.gathered


class ServiceMetrics:
    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry()
        # ``_created`` series serve OpenMetrics; in the text format each is one more gauge per series.
        disable_created_metrics()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        self.http_requests = Counter(
            "tsunagi_http_requests",
            "HTTP requests answered, by route template, method and status.",
            ["service", "route", "method", "status"],
            registry=self.registry,
        )
        self.http_duration = Histogram(
            "tsunagi_http_request_duration_seconds",
            "Time from a request's arrival to the end of its answer, by route template, method and status.",
            ["service", "route", "method", "status"],
            registry=self.registry,
        )
        self.sources: dict[str, Source] = {}

    # --- what is measured -------------------------------------------------------

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        if route in NOT_MEASURED:
            return
        method = method if method in HTTP_METHODS else "other"
        labels = (self.service, route, method, str(status))
        self.http_requests.labels(*labels).inc()
        self.http_duration.labels(*labels).observe(seconds)

    def add_reader(self, read: Read) -> None:
        """Families built from the process's own counts at each collection."""
        self.registry.register(_Reader(read))

    def add_source(
        self, name: str, documentation: str, check: Callable[[], Awaitable[object]], timeout_s: float
    ) -> None:
        self.sources[name] = Source(name, documentation, check, timeout_s)

    def on(self, source: str, gather: Gather) -> None:
        """Families read from ``source`` at scrape time, only while it answers."""
        self.sources[source].gatherers.append(gather)

    # --- building families ------------------------------------------------------

    def gauge(self, name: str, documentation: str, rows: Rows, labels: Sequence[str] = ()) -> GaugeMetricFamily:
        family = GaugeMetricFamily(name, documentation, labels=["service", *labels])
        for values, value in _rows(rows):
            family.add_metric([self.service, *values], value)
        return family

    def counter(self, name: str, documentation: str, rows: Rows, labels: Sequence[str] = ()) -> CounterMetricFamily:
        """``name`` without ``_total``: the library adds it."""
        family = CounterMetricFamily(name, documentation, labels=["service", *labels])
        for values, value in _rows(rows):
            family.add_metric([self.service, *values], value)
        return family

    # --- serving ----------------------------------------------------------------

    async def scrape(self) -> bytes:
        """The registry in Prometheus text format, the sources read side by side."""
        parts = await asyncio.gather(*(self._read(source) for source in self.sources.values()))
        return generate_latest(_Scrape(self.registry, [family for part in parts for family in part]))

    async def _read(self, source: Source) -> list[Metric]:
        deadline = asyncio.get_running_loop().time() + source.timeout_s
        up_name = f"tsunagi_{source.name}_up"
        try:
            async with asyncio.timeout_at(deadline):
                await source.check()
        except Exception:  # unreachable or too slow: the 0 says so (readiness logs the cause)
            return [self.gauge(up_name, source.documentation, 0)]
        families: list[Metric] = [self.gauge(up_name, source.documentation, 1)]
        for gather in source.gatherers:
            try:
                async with asyncio.timeout_at(deadline):
                    families += list(await gather())
            except Exception as exc:  # the other families still answer
                log.warning(
                    "metrics_gather_failed", source=source.name, error_type=type(exc).__name__, error=str(exc)[:200]
                )
        return families


def _rows(rows: Rows) -> Iterable[tuple[tuple[str, ...], float]]:
    if isinstance(rows, int | float):
        return [((), rows)]
    return rows.items()
