"""The operations page's reading of a service's /ready and /metrics: the lag, pending
entries, dead letters and outbox summed over their labels; a service that does not
answer, or answers with something that is not Prometheus text, is shown as such."""

from __future__ import annotations

import httpx

from services.console.entrypoints.pages.audit import _service_state

METRICS = """# HELP tsunagi_stream_lag Entries of the stream not yet delivered to this service's group.
# TYPE tsunagi_stream_lag gauge
tsunagi_stream_lag{stream="tsunagi.consultations",group="case"} 3.0
tsunagi_stream_lag{stream="tsunagi.referrals",group="case"} 2.0
# HELP tsunagi_stream_pending Entries delivered to this service's group, not yet acknowledged.
# TYPE tsunagi_stream_pending gauge
tsunagi_stream_pending{stream="tsunagi.consultations",group="case"} 1.0
# HELP tsunagi_dead_letters Events waiting in this service's dead-letter stream.
# TYPE tsunagi_dead_letters gauge
tsunagi_dead_letters 4.0
# HELP tsunagi_outbox_backlog Events committed but not yet published.
# TYPE tsunagi_outbox_backlog gauge
tsunagi_outbox_backlog 7.0
# HELP tsunagi_http_requests_total HTTP requests.
# TYPE tsunagi_http_requests_total counter
tsunagi_http_requests_total{route="/v1/cases",status="200"} 99.0
"""


def _client(ready: int, metrics: str) -> httpx.AsyncClient:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/ready":
            return httpx.Response(ready, json={"checks": {"database": "ok" if ready == 200 else "down"}})
        if request.headers.get("authorization") == "Bearer wrong":
            return httpx.Response(401, json={"detail": "運用者トークンが必要です。"})
        return httpx.Response(200, text=metrics)

    return httpx.AsyncClient(base_url="http://case.test", transport=httpx.MockTransport(answer))


async def test_the_figures_are_summed_over_their_labels() -> None:
    async with _client(200, METRICS) as client:
        state = await _service_state(client, "case")
    assert state["ready"] is True
    assert (state["lag"], state["pending"], state["dead_letters"], state["outbox"]) == (5, 1, 4, 7)


async def test_the_operator_token_goes_with_the_scrape() -> None:
    async with _client(200, METRICS) as client:
        state = await _service_state(client, "case", {"authorization": "Bearer wrong"})
    assert state["checks"]["metrics"] == "読み取れません(HTTP 401)" and state["dead_letters"] == 0


async def test_a_service_not_ready_or_not_answering_says_so() -> None:
    async with _client(503, METRICS) as client:
        assert (await _service_state(client, "case"))["ready"] is False

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async with httpx.AsyncClient(base_url="http://case.test", transport=httpx.MockTransport(refuse)) as client:
        state = await _service_state(client, "case")
    assert state["ready"] is False and state["checks"] == {"http": "応答がありません"}


async def test_metrics_that_are_not_prometheus_text_are_reported_not_raised() -> None:
    async with _client(200, "<html>not metrics</html>\n") as client:
        state = await _service_state(client, "case")
    assert state["checks"]["metrics"] == "読み取れません"
