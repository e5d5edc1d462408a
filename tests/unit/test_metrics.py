"""The shared registry without I/O: what a request is counted under, and how a scrape
reads its sources — a source that fails or hangs answers 0 and holds nothing up."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from shared.http.app import route_template
from shared.metrics import ServiceMetrics
from tests.support.metrics import Scrape


def test_requests_are_counted_by_route_template_with_bounded_labels() -> None:
    metrics = ServiceMetrics("intake")
    metrics.observe_request("POST", "/v1/consultations", 201, 0.02)
    metrics.observe_request("BREW", "unmatched", 405, 0.001)  # any method a client makes up: one label
    for probe in ("/health", "/ready", "/metrics"):
        metrics.observe_request("GET", probe, 200, 0.001)
    scrape = Scrape(asyncio.run(metrics.scrape()))
    counted = {
        (s.labels["route"], s.labels["method"], s.labels["status"]): s.value
        for s in scrape.samples("tsunagi_http_requests_total")
    }
    assert counted == {("/v1/consultations", "POST", "201"): 1, ("unmatched", "other", "405"): 1}
    assert scrape.value("tsunagi_http_request_duration_seconds_count", route="/v1/consultations") == 1
    assert all(family.documentation for family in scrape.families.values())


def test_each_registry_counts_only_its_own_app() -> None:
    first, second = ServiceMetrics("case"), ServiceMetrics("case")
    first.observe_request("GET", "/v1/cases", 200, 0.01)
    assert Scrape(asyncio.run(second.scrape())).samples("tsunagi_http_requests_total") == []


def test_route_template_never_the_path() -> None:
    route = SimpleNamespace(path="/v1/consultations/{reference}")
    assert route_template({"route": route, "root_path": ""}, "") == "/v1/consultations/{reference}"
    assert route_template({"root_path": "/static"}, "") == "/static/{path}"  # a mount
    assert route_template({"root_path": ""}, "") == "unmatched"


async def _scrape_with(check_result: str) -> Scrape:
    metrics = ServiceMetrics("notify")
    gathered: list[str] = []

    async def check() -> None:
        if check_result == "fails":
            raise ConnectionRefusedError
        if check_result == "hangs":
            await asyncio.Event().wait()

    async def broken() -> list:
        raise RuntimeError("a bug in one query")

    async def backlog() -> list:
        gathered.append("backlog")
        return [metrics.gauge("tsunagi_outbox_backlog", "Events committed but not yet published.", 3)]

    metrics.add_source("database", "1 when the database answered.", check, timeout_s=0.05)
    metrics.on("database", broken)
    metrics.on("database", backlog)
    scrape = Scrape(await asyncio.wait_for(metrics.scrape(), timeout=2))
    assert gathered == ([] if check_result != "answers" else ["backlog"])
    return scrape


async def test_a_source_that_answers_is_read_even_when_one_query_fails() -> None:
    scrape = await _scrape_with("answers")
    assert scrape.value("tsunagi_database_up") == 1
    assert scrape.value("tsunagi_outbox_backlog") == 3


async def test_a_source_that_fails_or_hangs_answers_0_and_is_not_read() -> None:
    for result in ("fails", "hangs"):
        scrape = await _scrape_with(result)
        assert scrape.value("tsunagi_database_up") == 0
        assert scrape.samples("tsunagi_outbox_backlog") == []
