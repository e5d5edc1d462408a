"""The referral service on real Redis and a real database (SQLite and PostgreSQL):
a requested referral reaches the agency's inbox and travels the whole loop."""

from __future__ import annotations

from tests.integration.referral.referral_support import publish, published, requested
from tests.support.services import bearer, eventually, running_service


async def test_a_referral_travels_the_whole_loop(make_settings, database_backend) -> None:
    settings = make_settings()
    request = requested()
    rid = request.payload["referral_id"]
    async with running_service("referral", settings) as referral:
        agency = bearer(settings, "agency", "hc-3", subject="hc-3-staff-1")
        await publish(settings, request)

        async def in_inbox():
            page = (await referral.get("/v1/referrals", headers=agency)).json()
            return page if page["total"] == 1 else None

        page = await eventually(in_inbox, what="referral in hc-3's inbox")
        item = page["items"][0]
        assert item["id"] == rid and item["status"] == "received" and item["version"] == 1
        assert item["next_deadline"]["at_jst"].endswith("JST")

        received = (await eventually(lambda: published(settings, referral_id=rid), what="referral.received"))[0]
        assert received.type == "referral.received"
        assert received.case_id == "CASE01" and received.causation_id == request.event_id
        assert received.correlation_id == request.correlation_id
        assert received.payload["agency_kind"] == "地域包括支援センター" and received.payload["version"] == 1
        assert received.payload["acknowledge_by"] is not None

        version = 1
        for action, body in [
            ("acknowledge", {}),
            ("accept", {"note": "来週訪問します"}),
            ("start", {}),
            ("hold", {"reason": "本人入院中"}),
            ("resume", {}),
            ("complete", {"note": "サービス開始"}),
        ]:
            moved = await referral.post(
                f"/v1/referrals/{rid}/{action}", json={"version": version, **body}, headers=agency
            )
            assert moved.status_code == 200, (action, moved.text)
            assert moved.json()["version"] == version + 1
            version += 1
        assert moved.json()["status"] == "completed" and moved.json()["allowed_actions"] == []

        events = await eventually(
            lambda: _when(published(settings, referral_id=rid), lambda es: len(es) == 7), what="seven events"
        )
        assert [(e.type, e.payload.get("status")) for e in events] == [
            ("referral.received", None),
            ("referral.acknowledged", None),
            ("referral.accepted", None),
            ("referral.status_changed", "in_progress"),
            ("referral.status_changed", "on_hold"),
            ("referral.status_changed", "in_progress"),
            ("referral.status_changed", "completed"),
        ]
        assert all(e.case_id == "CASE01" and e.aggregate_id == rid for e in events)
        assert [e.payload["version"] for e in events] == list(range(1, 8))
        assert events[1].actor.role == "agency" and events[1].actor.id == "hc-3-staff-1"
        assert events[4].payload["reason"] == "本人入院中" and events[6].payload["note"] == "サービス開始"

        # The coordinator of the area sees the whole history, with FHIR's view of the state.
        staff = await referral.get(f"/v1/referrals/{rid}", headers=bearer(settings, "coordinator", "中部"))
        assert staff.status_code == 200
        detail = staff.json()
        assert detail["view"] == "staff" and detail["fhir_status"] == "completed"
        assert [h["to_status"] for h in detail["history"]] == [
            "received",
            "acknowledged",
            "accepted",
            "in_progress",
            "on_hold",
            "in_progress",
            "completed",
        ]
        assert detail["history"][0]["actor_role"] == "system"
        assert detail["agency_name"] == "サンプル地域包括支援センター第3"

        # The same referral as a FHIR Task, for staff only, without any shared field.
        task = await referral.get(f"/v1/referrals/{rid}/fhir-task", headers=bearer(settings, "supervisor", "city"))
        assert task.status_code == 200 and task.headers["content-type"].startswith("application/fhir+json")
        assert task.json()["resourceType"] == "Task" and task.json()["status"] == "completed"
        assert task.json()["owner"]["identifier"]["value"] == "hc-3" and task.json()["meta"]["versionId"] == "7"
        assert "サンプル西東京花子" not in task.text and "80代" not in task.text
        assert (await referral.get(f"/v1/referrals/{rid}/fhir-task", headers=agency)).status_code == 403


async def test_redelivery_and_a_repeated_request_change_nothing(make_settings) -> None:
    settings = make_settings()
    first = requested()
    rid = first.payload["referral_id"]
    again = requested(rid)  # same referral, a new event id (e.g. the case service retried)
    async with running_service("referral", settings) as referral:
        await publish(settings, first, first, again)
        supervisor = bearer(settings, "supervisor", "city")

        async def applied():
            consumer = referral.app.state.services.runtime.consumer
            return consumer.applied_total + consumer.duplicates_total >= 3

        await eventually(applied, what="all three entries handled")
        page = (await referral.get("/v1/referrals", headers=supervisor)).json()
        assert page["total"] == 1
        await eventually(lambda: published(settings), what="referral.received")
        assert [e.type for e in await published(settings)] == ["referral.received"]


async def test_an_unknown_agency_is_recorded_as_failed_and_announced(make_settings, database_backend) -> None:
    settings = make_settings()
    request = requested(agency_id="no-such-agency")
    rid = request.payload["referral_id"]
    async with running_service("referral", settings) as referral:
        await publish(settings, request)
        events = await eventually(lambda: published(settings, referral_id=rid), what="status_changed failed")
        failed = events[0]
        assert failed.type == "referral.status_changed"
        assert failed.payload["status"] == "failed" and failed.payload["action"] == "undeliverable"
        assert "no-such-agency" in failed.payload["reason"]
        assert failed.payload["agency_id"] == "no-such-agency" and failed.payload["area"] == "中部"
        assert failed.case_id == "CASE01"
        staff = (await referral.get(f"/v1/referrals/{rid}", headers=bearer(settings, "coordinator", "中部"))).json()
        assert staff["status"] == "failed" and staff["fhir_status"] == "failed"
        assert staff["agency_name"] is None and staff["allowed_actions"] == []


async def _when(awaitable, predicate):
    value = await awaitable
    return value if predicate(value) else None
