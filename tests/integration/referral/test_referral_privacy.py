"""What an agency sees — only what was shared with it — and who sees a referral at all."""

from __future__ import annotations

import json

from sqlalchemy import select

from services.referral.adapters.orm import referral_reads
from tests.integration.referral.referral_support import NON_PERSONAL, PERSONAL, publish, requested
from tests.support.services import bearer, eventually, running_service

AGENCY_KEYS = {
    "view",
    "id",
    "case_number",
    "status",
    "status_label",
    "version",
    "purpose",
    "urgency",
    "shared",
    "personal_fields_closed",
    "received_at",
    "received_at_jst",
    "updated_at_jst",
    "acknowledge_by",
    "decide_by",
    "allowed_actions",
    "reason",
    "note",
    "contact",
    "history",
}
AGENCY_SUMMARY_KEYS = {
    "view",
    "id",
    "case_number",
    "status",
    "status_label",
    "version",
    "urgency",
    "purpose",
    "received_at_jst",
    "next_deadline",
}


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


async def test_the_agency_never_sees_a_field_that_was_not_shared(make_settings, database_backend) -> None:
    settings = make_settings()
    # Offered: everything, plus fields that must never leave the case service; no consent.
    offered = {**NON_PERSONAL, **PERSONAL, "case_notes": "コーディネーターの内部メモ", "phone": "090-0000-0000"}
    request = requested(shared=offered, consent="未確認")
    rid = request.payload["referral_id"]
    never = [*_strings(PERSONAL), "コーディネーターの内部メモ", "090-0000-0000", "CASE01"]
    async with running_service("referral", settings) as referral:
        agency = bearer(settings, "agency", "hc-3")
        await publish(settings, request)

        async def listed():
            page = (await referral.get("/v1/referrals", headers=agency)).json()
            return page["items"] if page["total"] else None

        items = await eventually(listed, what="referral in the inbox")
        assert set(items[0]) == AGENCY_SUMMARY_KEYS

        detail = await referral.get(f"/v1/referrals/{rid}", headers=agency)
        assert detail.status_code == 200
        body = detail.json()
        assert set(body) == AGENCY_KEYS
        assert body["shared"] == NON_PERSONAL  # personal fields held back: no consent, no legal ground
        text = detail.text + json.dumps(items, ensure_ascii=False)
        for secret in never:
            assert secret not in text, secret

        # A move answers with the same agency view.
        moved = await referral.post(f"/v1/referrals/{rid}/acknowledge", json={"version": 1}, headers=agency)
        assert set(moved.json()) == AGENCY_KEYS and moved.json()["shared"] == NON_PERSONAL

        # The coordinator sees what was held back — by name only.
        staff = (await referral.get(f"/v1/referrals/{rid}", headers=bearer(settings, "coordinator", "中部"))).json()
        assert staff["withheld"] == sorted(
            ["approximate_place", "case_notes", "household", "noticed", "person_name", "phone"]
        )
        assert "サンプル西東京花子" not in json.dumps(staff, ensure_ascii=False)

        # Every read is recorded: who saw which fields.
        async with referral.app.state.services.runtime.engine.connect() as session:
            reads = (await session.execute(select(referral_reads).order_by(referral_reads.c.id))).all()
        # (the detail, the answer to the acknowledge move, the coordinator's detail)
        assert [(r.reader_role, r.reader_id) for r in reads] == [
            ("agency", "agency:hc-3"),
            ("agency", "agency:hc-3"),
            ("coordinator", "coordinator:中部"),
        ]
        assert reads[0].fields == reads[1].fields == sorted(NON_PERSONAL)


async def test_with_consent_the_shared_fields_reach_the_agency(make_settings) -> None:
    settings = make_settings()
    request = requested(shared={"person_name": "サンプル西東京花子", "age_group": "80代"}, consent="同意あり")
    rid = request.payload["referral_id"]
    async with running_service("referral", settings) as referral:
        agency = bearer(settings, "agency", "hc-3")
        await publish(settings, request)

        async def detail():
            response = await referral.get(f"/v1/referrals/{rid}", headers=agency)
            return response.json() if response.status_code == 200 else None

        body = await eventually(detail, what="referral visible to hc-3")
        assert body["shared"] == {"person_name": "サンプル西東京花子", "age_group": "80代"}
        # Whom to call back: the referring coordinator and their area's office (reference data).
        assert body["contact"]["area"] == "中部" and body["contact"]["phone"]
        assert body["contact"]["coordinator_id"] == "csw-chubu-1"


async def test_the_agency_stops_seeing_personal_fields_once_it_declines(make_settings, database_backend) -> None:
    settings = make_settings()
    request = requested(shared={"person_name": "サンプル西東京花子", "age_group": "80代"}, consent="同意あり")
    rid = request.payload["referral_id"]
    async with running_service("referral", settings) as referral:
        agency = bearer(settings, "agency", "hc-3")
        await publish(settings, request)

        async def detail():
            response = await referral.get(f"/v1/referrals/{rid}", headers=agency)
            return response.json() if response.status_code == 200 else None

        body = await eventually(detail, what="referral visible to hc-3")
        declined = await referral.post(
            f"/v1/referrals/{rid}/decline", headers=agency, json={"version": body["version"], "reason": "担当区域外"}
        )
        assert declined.status_code == 200, declined.text
        after = declined.json()
        assert after["shared"] == {"age_group": "80代"} and "辞退" in after["personal_fields_closed"]
        assert [h["action"] for h in after["history"]][-1] == "decline" and after["reason"] == "担当区域外"
        again = (await referral.get(f"/v1/referrals/{rid}", headers=agency)).json()
        assert "サンプル西東京花子" not in json.dumps(again, ensure_ascii=False)
        # The coordinator keeps the whole record; the read log names only what each read showed.
        staff = (await referral.get(f"/v1/referrals/{rid}", headers=bearer(settings, "coordinator", "中部"))).json()
        assert staff["shared"]["person_name"] == "サンプル西東京花子"
        uow = referral.app.state.services.runtime.unit_of_work()
        async with uow:
            reads = (
                await uow.db.execute(
                    select(referral_reads.c.reader_role, referral_reads.c.fields).order_by(referral_reads.c.id)
                )
            ).all()
        assert [r.fields for r in reads if r.reader_role == "agency"][-1] == ["age_group"]
        # The same record, for the audit: which agency saw which fields, and when.
        shown = (
            await referral.get(
                "/v1/referrals/disclosures",
                params={"case_id": "CASE01"},
                headers=bearer(settings, "supervisor", "city"),
            )
        ).json()["items"]
        assert [d["fields"] for d in shown if d["reader_role"] == "agency"][0] == ["age_group", "person_name"]
        assert {d["agency_id"] for d in shown} == {"hc-3"}
        other_area = await referral.get(
            "/v1/referrals/disclosures", params={"case_id": "CASE01"}, headers=bearer(settings, "coordinator", "南部")
        )
        assert other_area.json()["items"] == [] and other_area.json()["decisions"] == []
        refused = await referral.get("/v1/referrals/disclosures", params={"case_id": "CASE01"}, headers=agency)
        assert refused.status_code == 403
        # By agency too, with each referral's share decision (names of fields, the ground).
        by_agency = (
            await referral.get(
                "/v1/referrals/disclosures",
                params={"agency_id": "hc-3"},
                headers=bearer(settings, "supervisor", "city"),
            )
        ).json()
        assert {d["agency_id"] for d in by_agency["items"]} == {"hc-3"} and len(by_agency["items"]) == len(shown)
        # The reads are paged as every list is (oldest first); decisions come whole with each page.
        assert len(shown) >= 2 and by_agency["total"] == len(shown)
        second = await referral.get(
            "/v1/referrals/disclosures",
            params={"agency_id": "hc-3", "per_page": 1, "page": 2},
            headers=bearer(settings, "supervisor", "city"),
        )
        assert (second.json()["items"], second.json()["total"]) == ([by_agency["items"][1]], len(shown))
        assert second.json()["decisions"] == by_agency["decisions"]
        [decision] = by_agency["decisions"]
        assert decision["referral_id"] == rid and "person_name" in decision["fields_shared"]
        assert decision["consent"] and "サンプル西東京花子" not in str(by_agency)
        neither = await referral.get("/v1/referrals/disclosures", headers=bearer(settings, "supervisor", "city"))
        assert neither.status_code == 422 and "case_id" in neither.text


async def test_a_referral_is_invisible_outside_its_agency_and_area(make_settings) -> None:
    settings = make_settings()
    request = requested()
    rid = request.payload["referral_id"]
    async with running_service("referral", settings) as referral:
        await publish(settings, request)
        supervisor = bearer(settings, "supervisor", "city")

        async def arrived():
            return (await referral.get(f"/v1/referrals/{rid}", headers=supervisor)).status_code == 200

        await eventually(arrived, what="referral stored")
        for role, scope in [("agency", "hc-1"), ("coordinator", "西部"), ("reporter", "vol-1")]:
            caller = bearer(settings, role, scope)
            response = await referral.get(f"/v1/referrals/{rid}", headers=caller)
            assert response.status_code == 404, (role, scope)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert "見つかりません" in response.json()["detail"]
            # Even a move is 404: the referral's existence does not leak.
            moved = await referral.post(
                f"/v1/referrals/{rid}/cancel", json={"version": 1, "reason": "x"}, headers=caller
            )
            assert moved.status_code == 404, (role, scope)
        other_inbox = (await referral.get("/v1/referrals", headers=bearer(settings, "agency", "hc-1"))).json()
        assert other_inbox["total"] == 0
        # An agency cannot widen its inbox with filters.
        widened = await referral.get("/v1/referrals?agency_id=hc-3", headers=bearer(settings, "agency", "hc-1"))
        assert widened.json()["total"] == 0
        other_area = (await referral.get("/v1/referrals", headers=bearer(settings, "coordinator", "西部"))).json()
        assert other_area["total"] == 0
        own_area = (await referral.get("/v1/referrals", headers=bearer(settings, "coordinator", "中部"))).json()
        assert own_area["total"] == 1 and own_area["items"][0]["view"] == "staff"
        reporter = await referral.get("/v1/referrals", headers=bearer(settings, "reporter", "vol-1"))
        assert reporter.status_code == 403
        assert (await referral.get("/v1/referrals")).status_code == 401


class _RecordingLog:
    def __init__(self) -> None:
        self.lines: list[tuple[str, dict]] = []

    def _record(self, event: str, **values) -> None:
        self.lines.append((event, values))

    info = warning = error = debug = exception = _record


async def test_the_service_logs_no_names_or_free_text(make_settings, monkeypatch) -> None:
    from services.referral.handlers import referrals as handlers

    recorder = _RecordingLog()
    monkeypatch.setattr(handlers, "log", recorder)
    settings = make_settings()
    request = requested()
    rid = request.payload["referral_id"]
    async with running_service("referral", settings) as referral:
        agency = bearer(settings, "agency", "hc-3")
        await publish(settings, request, requested(agency_id="no-such"))

        async def arrived():
            return (await referral.get(f"/v1/referrals/{rid}", headers=agency)).status_code == 200

        await eventually(arrived, what="referral stored")
        await referral.post(
            f"/v1/referrals/{rid}/decline", json={"version": 1, "reason": "担当外の相談内容のため"}, headers=agency
        )
        await eventually(lambda: _has(recorder, "referral_undeliverable"), what="undeliverable logged")
    events = [event for event, _ in recorder.lines]
    assert {"referral_received", "referral_moved", "referral_undeliverable"} <= set(events)
    logged = json.dumps([values for _, values in recorder.lines], ensure_ascii=False)
    for text in [
        *_strings(PERSONAL),
        *_strings(NON_PERSONAL),
        "担当外の相談内容のため",
        request.payload["purpose"],
        "登録されていません",
    ]:
        assert text not in logged, text


async def _has(recorder: _RecordingLog, event: str) -> bool:
    return any(e == event for e, _ in recorder.lines)
