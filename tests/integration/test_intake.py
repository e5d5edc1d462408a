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
        assert set(status.json()) == {
            "reference",
            "stage",
            "received_at",
            "received_at_jst",
            "updated_at",
            "updated_at_jst",
        }
        assert status.json()["stage"] == "受付済"

        # Another reporter cannot see it; a missing token is 401.
        other = await intake.get(f"/v1/consultations/{reference}", headers=bearer(settings, "reporter", "vol-2"))
        assert other.status_code == 404
        assert (await intake.get(f"/v1/consultations/{reference}")).status_code == 401


async def test_bad_input_is_a_problem_in_japanese(make_settings) -> None:
    settings = make_settings()
    async with running_service("intake", settings) as intake:
        reporter = bearer(settings, "reporter", "vol-1")
        unknown = await intake.post("/v1/consultations", json={**EXAMPLE, "school_district": "SD99"}, headers=reporter)
        assert unknown.status_code == 422
        assert unknown.headers["content-type"].startswith("application/problem+json")
        assert "小学校区" in unknown.json()["detail"]

        missing = await intake.post("/v1/consultations", json={"noticed": "x"}, headers=reporter)
        assert missing.status_code == 422
        assert any(e["loc"][-1] == "urgency" for e in missing.json()["errors"])

        broken = await intake.post(
            "/v1/consultations", content=b"{not json", headers={**reporter, "content-type": "application/json"}
        )
        assert broken.status_code == 400

        agency = await intake.post("/v1/consultations", json=EXAMPLE, headers=bearer(settings, "agency", "hc-3"))
        assert agency.status_code == 403


async def test_the_form_options(make_settings) -> None:
    settings = make_settings()
    async with running_service("intake", settings) as intake:
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


async def test_a_batch_of_case_events_links_every_consultation(make_settings, database_backend) -> None:
    from shared.events import SYSTEM, CaseStageChanged, Envelope
    from tests.integration.messaging.conftest import case_opened_for, publish

    settings = make_settings()
    reporter = bearer(settings, "reporter", "vol-1")
    async with running_service("intake", settings) as intake:
        references = []
        for _ in range(3):
            created = await intake.post("/v1/consultations", json=EXAMPLE, headers=reporter)
            assert created.status_code == 201, created.text
            references.append(created.json()["reference"])
        redis = aioredis.Redis.from_url(settings.redis_url)
        entries = await eventually(lambda: _at_least(redis, "tsunagi.consultation", 3), what="three events")
        await redis.aclose()
    # Published while intake is stopped: its next first read takes them as one batch.
    opened = [case_opened_for(decode_entry(fields)) for _id, fields in entries]
    stages = [
        Envelope.wrap(
            CaseStageChanged(case_id=o.case_id, stage="対応中"),
            aggregate_id=o.case_id,
            actor=SYSTEM,
            correlation_id=o.correlation_id,
            case_id=o.case_id,
        )
        for o in opened
    ]
    await publish(settings.redis_url, "tsunagi.case", *opened, *stages)
    async with running_service("intake", settings) as intake:

        async def all_moved() -> bool:
            views = [(await intake.get(f"/v1/consultations/{r}", headers=reporter)).json() for r in references]
            return all(v["stage"] == "対応中" for v in views)

        await eventually(all_moved, what="every consultation linked to its case and showing its stage")


async def test_a_consultation_linked_to_an_older_case_is_not_updated_before_it_was_received(make_settings) -> None:
    """The stage a reporter sees is its case's; when the case moved on before this
    consultation arrived, "updated" is the consultation's own receipt, not earlier."""
    from datetime import timedelta

    from shared.events import SYSTEM, CaseStageChanged, Envelope
    from tests.integration.messaging.conftest import case_opened_for, publish

    settings = make_settings()
    reporter = bearer(settings, "reporter", "vol-1")
    async with running_service("intake", settings) as intake:
        created = await intake.post("/v1/consultations", json=EXAMPLE, headers=reporter)
        assert created.status_code == 201, created.text
        reference = created.json()["reference"]
        redis = aioredis.Redis.from_url(settings.redis_url)
        entries = await eventually(lambda: _at_least(redis, "tsunagi.consultation", 1), what="the event")
        await redis.aclose()
        opened = case_opened_for(decode_entry(entries[-1][1]))
        earlier = Envelope.wrap(
            CaseStageChanged(case_id=opened.case_id, stage="対応中"),
            aggregate_id=opened.case_id,
            actor=SYSTEM,
            correlation_id=opened.correlation_id,
            case_id=opened.case_id,
            occurred_at=opened.occurred_at - timedelta(days=3),
        )
        await publish(settings.redis_url, "tsunagi.case", opened, earlier)

        async def staged() -> dict | None:
            view = (await intake.get(f"/v1/consultations/{reference}", headers=reporter)).json()
            return view if view["stage"] == "対応中" else None

        view = await eventually(staged, what="the case's stage shown to the reporter")
        assert view["updated_at_jst"] == view["received_at_jst"], view


async def _at_least(redis, stream: str, count: int):
    entries = await redis.xrange(stream)
    return entries if len(entries) >= count else None
