"""Intake over HTTP on real Redis and a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json

import redis.asyncio as aioredis

from shared.messaging.streams import decode_entry
from shared.settings import PROJECT_ROOT
from tests.support.services import bearer, eventually, running_service

EXAMPLE = json.loads((PROJECT_ROOT / "examples" / "consultation.json").read_text(encoding="utf-8"))


async def test_submit_publishes_through_the_outbox(make_settings, database_backend) -> None:
    settings = make_settings()
    async with running_service("intake", settings) as intake:
        reporter = bearer(settings, "reporter", "vol-1")
        created = await intake.post("/v1/consultations", json=EXAMPLE, headers=reporter)
        assert created.status_code == 201, created.text
        reference = created.json()["reference"]
        assert reference.startswith("TSN-")

        redis = aioredis.Redis.from_url(settings.redis_url)
        entries = await eventually(lambda: redis.xrange("tsunagi.consultation"), what="published event")
        envelope = decode_entry(entries[0][1])
        assert envelope.type == "consultation.submitted"
        assert envelope.payload["reference"] == reference
        assert envelope.actor.role == "reporter"
        await redis.aclose()

        status = await intake.get(f"/v1/consultations/{reference.lower()}", headers=reporter)
        assert status.status_code == 200
        assert set(status.json()) == {"reference", "stage", "received_at_jst", "updated_at_jst"}
        assert status.json()["stage"] == "受付済"

        # Another reporter cannot see it; a missing token is 401.
        other = await intake.get(f"/v1/consultations/{reference}", headers=bearer(settings, "reporter", "vol-2"))
        assert other.status_code == 404
        assert (await intake.get(f"/v1/consultations/{reference}")).status_code == 401


async def test_bad_input_is_a_problem_in_japanese(make_settings) -> None:
    settings = make_settings()
    async with running_service("intake", settings) as intake:
        reporter = bearer(settings, "reporter", "vol-1")
        unknown = await intake.post("/v1/consultations", json={**EXAMPLE, "school_district": "SD99"},
                                    headers=reporter)
        assert unknown.status_code == 422
        assert unknown.headers["content-type"].startswith("application/problem+json")
        assert "小学校区" in unknown.json()["detail"]

        missing = await intake.post("/v1/consultations", json={"noticed": "x"}, headers=reporter)
        assert missing.status_code == 422
        assert any(e["loc"][-1] == "urgency" for e in missing.json()["errors"])

        broken = await intake.post("/v1/consultations", content=b"{not json",
                                   headers={**reporter, "content-type": "application/json"})
        assert broken.status_code == 400

        agency = await intake.post("/v1/consultations", json=EXAMPLE, headers=bearer(settings, "agency", "hc-3"))
        assert agency.status_code == 403


async def test_the_reporters_page_and_its_options(make_settings) -> None:
    settings = make_settings()
    async with running_service("intake", settings) as intake:
        page = await intake.get("/")
        assert page.status_code == 200 and "相談受付" in page.text
        options = (await intake.get("/v1/options")).json()
        assert options["sample"] is True
        assert {"id": "不明", "name": "不明(分からない)", "area": "市全域"} in options["school_districts"]
        assert any(c["id"] == "8050" for c in options["categories"])
        assert {r["id"] for r in options["reporter_roles"]} >= {EXAMPLE["reporter_role"]}


async def test_metrics_show_lag_pending_dead_letters_and_backlog(make_settings) -> None:
    settings = make_settings()
    async with running_service("intake", settings) as intake:
        await intake.post("/v1/consultations", json=EXAMPLE, headers=bearer(settings, "reporter", "vol-1"))
        text = (await intake.get("/metrics")).text
        assert 'tsunagi_stream_lag{service="intake",stream="tsunagi.case"} 0' in text
        assert 'tsunagi_stream_pending{service="intake",stream="tsunagi.case"} 0' in text
        assert 'tsunagi_dead_letters{service="intake"} 0' in text
        assert 'tsunagi_outbox_backlog{service="intake"}' in text
        assert 'tsunagi_redis_up{service="intake"} 1' in text
