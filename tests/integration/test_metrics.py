"""Every service's /metrics, scraped and parsed the way Prometheus reads it: each family
documented and of the right type, the figures true to what happened (a consultation
counted by its route template, its event applied by case, deliveries and follow-ups in
notify, sign-ins in the console), and a scrape that still answers — database up 0 —
while the database is unreachable."""

from __future__ import annotations

import asyncio
import json
import re
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client import CONTENT_TYPE_LATEST

from services.console.domain.accounts import Grant
from services.console.handlers.accounts import AccountCommand, add_account
from services.intake.bootstrap import build_app as build_intake
from shared import runtime as runtime_module
from shared.clock import utcnow
from shared.events import Actor, new_event_id
from shared.reference import load_reference_data
from shared.settings import PROJECT_ROOT
from tests.integration.notify.notify_support import fast_loops, publish, reference_with_channels, requested
from tests.support.metrics import Scrape
from tests.support.servers import PostgresServer
from tests.support.services import bearer, eventually, running_service

EXAMPLE = json.loads((PROJECT_ROOT / "examples" / "consultation.json").read_text(encoding="utf-8"))
SERVICES = ["intake", "case", "referral", "notify", "console"]

# Family (as the parser names it: counters without ``_total``) → type, in every service.
EVERY_SERVICE = {
    "tsunagi_http_requests": "counter",
    "tsunagi_http_request_duration_seconds": "histogram",
    "tsunagi_events_applied": "counter",
    "tsunagi_events_duplicate": "counter",
    "tsunagi_outbox_relay_leader": "gauge",
    "tsunagi_outbox_backlog": "gauge",
    "tsunagi_database_up": "gauge",
    "tsunagi_redis_up": "gauge",
    "tsunagi_stream_lag": "gauge",
    "tsunagi_stream_pending": "gauge",
    "tsunagi_dead_letters": "gauge",
}
ONLY_IN = {
    "notify": {
        "tsunagi_notify_followups_pending": "gauge",
        "tsunagi_notify_followups_due": "gauge",
        "tsunagi_notify_followups_overdue": "gauge",
        "tsunagi_notify_deliveries": "gauge",
        "tsunagi_notify_followup_rungs_fired": "counter",
        "tsunagi_notify_delivery_attempts": "counter",
        "tsunagi_notify_followup_timer_last_pass_timestamp_seconds": "gauge",
    },
    "console": {
        "tsunagi_console_sign_ins": "counter",
        "tsunagi_console_sessions_active": "gauge",
    },
}


async def scrape_of(client: httpx.AsyncClient) -> Scrape:
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == CONTENT_TYPE_LATEST
    return Scrape(response.text)


def assert_well_formed(scrape: Scrape, service: str, *, expected: dict[str, str] | None = None) -> None:
    for family in scrape.families.values():
        assert family.documentation, f"{family.name} has no HELP"
    expected = expected if expected is not None else {**EVERY_SERVICE, **ONLY_IN.get(service, {})}
    found = {name: scrape.families[name].type for name in expected if name in scrape.families}
    assert found == expected
    assert not {name for name in scrape.families if name.startswith("tsunagi_")} - {
        *EVERY_SERVICE,
        *ONLY_IN.get(service, {}),
    }, "a family this test does not know"
    for name, family in scrape.families.items():
        if name.startswith("tsunagi_"):
            assert all(s.labels["service"] == service for s in family.samples), name


@pytest.mark.parametrize("service", SERVICES)
async def test_each_service_serves_its_own_registry(service: str, make_settings) -> None:
    settings = make_settings()
    async with running_service(service, settings) as client:
        refused = await client.post("/v1/admin/reference/reload")
        assert refused.status_code == 401
        assert (await client.get("/health")).status_code == 200
        scrape = await scrape_of(client)
        streams = client.app.state.services.runtime.consumer.handlers.streams  # type: ignore[attr-defined]
    assert_well_formed(scrape, service)
    assert scrape.value("tsunagi_database_up") == 1
    assert scrape.value("tsunagi_redis_up") == 1
    assert (
        scrape.value("tsunagi_http_requests_total", route="/v1/admin/reference/reload", method="POST", status="401")
        == 1
    )
    assert scrape.samples("tsunagi_http_requests_total", route="/health") == []  # probes are not counted
    assert scrape.samples("tsunagi_http_requests_total", route="/metrics") == []
    assert {s.labels["stream"] for s in scrape.samples("tsunagi_stream_lag")} == set(streams)
    assert scrape.value("tsunagi_dead_letters") == 0
    assert scrape.value("tsunagi_outbox_backlog") is not None
    assert scrape.value("tsunagi_events_applied_total") is not None


async def test_a_consultation_is_counted_by_route_template_and_applied_by_case(make_settings, database_backend) -> None:
    settings = make_settings()
    reporter = bearer(settings, "reporter", "vol-1")
    async with running_service("intake", settings) as intake, running_service("case", settings) as case:
        created = await intake.post("/v1/consultations", json=EXAMPLE, headers=reporter)
        assert created.status_code == 201, created.text
        reference = created.json()["reference"]
        assert (await intake.get(f"/v1/consultations/{reference}", headers=reporter)).status_code == 200

        async def case_applied() -> Scrape | None:
            scrape = await scrape_of(case)
            return scrape if (scrape.value("tsunagi_events_applied_total") or 0) >= 1 else None

        at_case = await eventually(case_applied, what="case to apply the consultation")
        response = await intake.get("/metrics")
    at_intake = Scrape(response.text)
    assert_well_formed(at_intake, "intake")
    assert_well_formed(at_case, "case")
    assert at_intake.value("tsunagi_http_requests_total", route="/v1/consultations", method="POST", status="201") == 1
    assert (
        at_intake.value(
            "tsunagi_http_request_duration_seconds_count", route="/v1/consultations", method="POST", status="201"
        )
        == 1
    )
    assert (
        at_intake.value(
            "tsunagi_http_requests_total", route="/v1/consultations/{reference}", method="GET", status="200"
        )
        == 1
    )
    assert reference not in response.text  # a route template, never the path
    assert at_case.value("tsunagi_database_up") == 1
    assert at_case.samples("tsunagi_http_requests_total", route="/v1/consultations") == []  # its own registry


async def test_notify_counts_deliveries_follow_ups_and_attempts(make_settings, tmp_path, monkeypatch) -> None:
    fast_loops(monkeypatch)
    monkeypatch.delenv("TSUNAGI_NOTIFY_SMTP_HOST", raising=False)  # so the email attempt fails at once
    folder = reference_with_channels(tmp_path, "hc-3", channels=["in_app", "email"], email="hc3@example.jp")
    settings = make_settings(reference_dir=folder)
    async with running_service("notify", settings) as notify:
        await publish(settings, requested(new_event_id(), new_event_id(), utcnow()))

        async def failed() -> Scrape | None:
            scrape = await scrape_of(notify)
            return scrape if scrape.value("tsunagi_notify_deliveries", channel="email", status="failed") else None

        scrape = await eventually(failed, what="the failed email delivery in the metrics")
    assert_well_formed(scrape, "notify")
    assert scrape.value("tsunagi_notify_deliveries", channel="email", status="failed") == 1
    assert scrape.value("tsunagi_notify_delivery_attempts_total", channel="email", outcome="failed") == 1
    assert scrape.value("tsunagi_notify_followups_pending", step="acknowledge", rungs_fired="0") == 1
    assert scrape.value("tsunagi_notify_followups_overdue") == 0
    assert scrape.value("tsunagi_notify_followups_due") == 0
    assert scrape.value("tsunagi_notify_followup_rungs_fired_total") == 0
    passed_at = scrape.value("tsunagi_notify_followup_timer_last_pass_timestamp_seconds")
    assert passed_at is not None and abs(passed_at - time.time()) < 120, passed_at
    assert (scrape.value("tsunagi_events_applied_total") or 0) >= 1


async def test_console_counts_sign_ins_and_open_sessions(make_settings) -> None:
    settings = make_settings()
    password = "metrics-pass-1"
    async with running_service("console", settings) as console:
        runtime = console.app.state.services.runtime  # type: ignore[attr-defined]
        await add_account(
            AccountCommand(runtime.unit_of_work(), Actor(role="supervisor", id="sv-1"), "corr-1", timedelta(minutes=5)),
            load_reference_data(PROJECT_ROOT / "reference"),
            account_id="csw-chubu-1",
            display_name="サンプル",
            password=password,
            grants=[Grant("coordinator", "中部")],
        )
        for attempt in ("wrong-password", password):
            form = await console.get("/signin")
            token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
            await console.post("/signin", data={"account_id": "csw-chubu-1", "password": attempt, "csrf_token": token})
        assert (await console.get("/static/console.css")).status_code == 200
        response = await console.get("/metrics")
    scrape = Scrape(response.text)
    assert_well_formed(scrape, "console")
    assert scrape.value("tsunagi_http_requests_total", route="/static/{path}", status="200") == 1
    outcomes = {s.labels["outcome"]: s.value for s in scrape.samples("tsunagi_console_sign_ins_total")}
    assert outcomes == {"ok": 1, "failed": 1, "locked": 0, "disabled": 0}
    assert scrape.value("tsunagi_console_sessions_active") == 1
    assert "csw-chubu-1" not in response.text


async def test_with_the_database_down_the_scrape_answers_database_up_0(make_settings, tmp_path: Path) -> None:
    server = PostgresServer(tmp_path / "pg")
    server.init()
    server.start()
    try:
        settings = make_settings(database_url=server.url)
        async with running_service("notify", settings) as notify:
            assert (await scrape_of(notify)).value("tsunagi_database_up") == 1
            server.stop()
            response = await asyncio.wait_for(notify.get("/metrics"), timeout=10)
            assert response.status_code == 200
            scrape = Scrape(response.text)
            server.start()  # a clean shutdown
        assert scrape.value("tsunagi_database_up") == 0
        assert scrape.value("tsunagi_redis_up") == 1
        # What is read from the database is left out rather than reported as 0.
        assert scrape.samples("tsunagi_outbox_backlog") == []
        assert scrape.samples("tsunagi_notify_deliveries") == []
        expected = {
            name: kind
            for name, kind in {**EVERY_SERVICE, **ONLY_IN["notify"]}.items()
            if name
            not in (
                "tsunagi_outbox_backlog",
                "tsunagi_notify_followups_pending",
                "tsunagi_notify_followups_due",
                "tsunagi_notify_followups_overdue",
                "tsunagi_notify_deliveries",
            )
        }
        assert_well_formed(scrape, "notify", expected=expected)
    finally:
        server.remove()


async def test_a_database_that_never_answers_does_not_hold_the_scrape(make_settings, monkeypatch) -> None:
    accepted: list[asyncio.StreamWriter] = []

    async def never_answer(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    monkeypatch.setattr(runtime_module, "DATABASE_CHECK_TIMEOUT_S", 0.5)
    try:
        runtime = build_intake(make_settings(database_url=f"postgresql://x@127.0.0.1:{port}/x")).state.services.runtime
        scrape = Scrape(await asyncio.wait_for(runtime.metrics.scrape(), timeout=5))
        assert scrape.value("tsunagi_database_up") == 0
        assert scrape.value("tsunagi_redis_up") == 1
        assert accepted, "the driver did reach the silent server"
        await runtime.engine.dispose()
        await runtime.redis.aclose()
    finally:
        for writer in accepted:
            writer.close()
        server.close()
        await server.wait_closed()
