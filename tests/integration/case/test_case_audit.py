"""What a supervisor audits: the complete timeline (with notifications and follow-ups from
notify), its CSV/JSON export, who read the case, and the PDCA figures."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from case_helpers import case_of, consultation, coordinator, post, publish, submit, supervisor

from services.case.adapters.orm import timeline
from shared.clock import FrozenClock
from shared.db.engine import make_engine
from shared.events import Actor, Envelope, FollowupFired, NotificationRecorded, ReferralAccepted
from shared.settings import PROJECT_ROOT
from tests.support.services import bearer, eventually, running_service
from tests.support.timelines import triggers_off

NOTIFY = Actor(role="system", id="notify")


async def _referred_case(intake, case, settings, **changes) -> tuple[str, str]:
    chubu = coordinator(settings)
    opened = await case_of(case, settings, await submit(intake, settings, consultation(**changes)), chubu)
    v = (
        await post(
            case,
            f"/v1/cases/{opened['id']}/assignment",
            chubu,
            {"coordinator_id": "csw-chubu-1", "version": opened["version"]},
        )
    )["version"]
    v = (
        await post(
            case,
            f"/v1/cases/{opened['id']}/contacts",
            chubu,
            {"channel": "電話", "whom": "民生委員", "outcome": "サンプル: 状況を聞き取り", "version": v},
            201,
        )
    )["version"]
    referral = await post(
        case,
        f"/v1/cases/{opened['id']}/referrals",
        chubu,
        {"agency_id": "hc-3", "purpose": "訪問", "share": ["categories"], "version": v},
        201,
    )
    return opened["id"], referral["referral_id"]


async def test_timeline_export_and_reads(make_settings, database_backend) -> None:
    settings = make_settings()
    sv = supervisor(settings)
    async with running_service("intake", settings) as intake, running_service("case", settings) as case:
        case_id, referral_id = await _referred_case(intake, case, settings)
        await publish(
            settings,
            NotificationRecorded(
                notification_id="n1",
                recipient_role="agency",
                recipient_scope="hc-3",
                kind="referral_new",
                case_id=case_id,
                referral_id=referral_id,
                about_event_id="x",
            ),
            case_id=case_id,
            actor=NOTIFY,
        )
        await publish(
            settings,
            FollowupFired(
                followup_id="f1",
                referral_id=referral_id,
                case_id=case_id,
                step="reminder-1",
                recipient_role="agency",
                recipient_scope="hc-3",
                overdue_since="2026-11-20",
            ),
            case_id=case_id,
            actor=NOTIFY,
        )

        async def complete() -> list | None:
            entries = (await case.get(f"/v1/cases/{case_id}/timeline", headers=sv)).json()["items"]
            kinds = {e["kind"] for e in entries}
            return entries if {"notification", "followup"} <= kinds else None

        entries = await eventually(complete, what="notify's events on the timeline")
        assert [e["event_id"] for e in entries] == sorted(e["event_id"] for e in entries)
        assert all(e["intact"] for e in entries)
        first = entries[0]
        assert first["type"] == "consultation.submitted" and first["actor"]["role"] == "reporter"
        assert first["occurred_at_jst"].endswith("JST") and first["label"] == "相談受付"
        assert "noticed" not in first["summary"] and "person" not in first["summary"]

        only_referrals = (
            await case.get(f"/v1/cases/{case_id}/timeline", headers=sv, params={"kind": "referral"})
        ).json()["items"]
        assert [e["type"] for e in only_referrals] == ["referral.requested"]
        two_kinds = (
            await case.get(f"/v1/cases/{case_id}/timeline", headers=sv, params={"kind": "followup,case.assigned"})
        ).json()["items"]
        assert sorted(e["type"] for e in two_kinds) == ["case.assigned", "followup.fired"]

        exported = await case.get(f"/v1/cases/{case_id}/timeline", headers=sv, params={"format": "csv"})
        assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
        assert "attachment" in exported.headers["content-disposition"]
        rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
        assert rows[0][:4] == ["event_id", "occurred_at", "occurred_at_jst", "type"]
        assert [r[0] for r in rows[1:-1]] == [e["event_id"] for e in entries]
        assert rows[-1][0] == "# seal"
        as_json = await case.get(f"/v1/cases/{case_id}/timeline", headers=sv, params={"format": "json"})
        assert as_json.json()["seal"] == rows[-1][1] and "attachment" in as_json.headers["content-disposition"]
        assert (
            await case.get(f"/v1/cases/{case_id}/timeline", headers=sv, params={"format": "xml"})
        ).status_code == 422

        # The referral's follow-up shows on the case; every read, by every role, was recorded.
        detail = (await case.get(f"/v1/cases/{case_id}", headers=sv)).json()
        assert detail["referrals"][0]["last_followup"].endswith("reminder-1")
        reads = (await case.get(f"/v1/cases/{case_id}/reads", headers=sv)).json()
        by_sv = [r for r in reads["items"] if r["reader_id"] == "sv-1"]
        assert {r["what"] for r in by_sv} == {"timeline", "export-csv", "export-json", "detail"}
        assert {r["reader_role"] for r in reads["items"]} == {"coordinator", "supervisor"}
        assert reads["total"] == len(reads["items"])
        # …and asked the other way round: what this person read, also as CSV.
        person = (await case.get("/v1/reads", headers=sv, params={"reader_id": "sv-1"})).json()
        assert [r["what"] for r in person["items"]] == [r["what"] for r in by_sv]
        as_csv = await case.get("/v1/reads", headers=sv, params={"reader_id": "sv-1", "format": "csv"})
        rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
        assert rows[0][:5] == ["read_at", "read_at_jst", "reader_role", "reader_id", "what"]
        assert len(rows) == len(person["items"]) + 1
        coordinator_asks = await case.get("/v1/reads", headers=coordinator(settings), params={"reader_id": "sv-1"})
        assert coordinator_asks.status_code == 403
        assert (
            await case.get(f"/v1/cases/{case_id}/timeline", headers=bearer(settings, "agency", "hc-3"))
        ).status_code == 403


async def test_pdca_figures(make_settings, database_backend) -> None:
    settings = make_settings()
    clock = FrozenClock(datetime(2026, 11, 2, 1, 0, tzinfo=UTC))  # Monday 10:00 JST
    async with running_service("intake", settings) as intake, running_service("case", settings, clock) as case:
        case_id, referral_id = await _referred_case(intake, case, settings)
        await submit(
            intake,
            settings,
            consultation(
                school_district="SD12", channel="窓口", categories=["就労"], household=[], person={"age_group": "40代"}
            ),
        )
        await eventually(lambda: _count(case, supervisor(settings), 2), what="two cases")
        accepted = ReferralAccepted(referral_id=referral_id, case_id=case_id, agency_id="hc-3", area="中部")
        # The agency answers the same (frozen) morning.
        await publish(
            settings,
            accepted,
            case_id=case_id,
            envelope=Envelope.wrap(
                accepted,
                aggregate_id=referral_id,
                actor=Actor(role="agency", id="hc-3"),
                correlation_id="c",
                case_id=case_id,
                occurred_at=clock.now() + timedelta(hours=2),
            ),
        )

        async def accepted_seen() -> bool:
            detail = (await case.get(f"/v1/cases/{case_id}", headers=supervisor(settings))).json()
            return detail["stage"] == "つなぎ済"

        await eventually(accepted_seen, what="accepted")
        clock.advance(timedelta(days=10))
        figures = (await case.get("/v1/figures", headers=supervisor(settings))).json()
        assert figures["consultations"]["total"] == 2
        assert figures["consultations"]["by_area"] == {"中部": 1, "西部": 1}
        assert figures["consultations"]["by_channel"] == {"電話": 1, "窓口": 1}
        assert figures["consultations"]["by_category"] == {"8050": 1, "ひきこもり": 1, "就労": 1}
        assert figures["consultations"]["by_month"] == {"2026-11": 2}
        assert figures["time_to_first_contact"]["count"] == 1
        assert figures["time_to_first_contact"]["without_contact"] == 1
        assert figures["time_to_first_handoff"]["count"] == 1
        # Accepted on the same (frozen) day as requested: within the 3-business-day deadline.
        assert figures["referrals"]["accepted_within_deadline"] == 1
        assert figures["referrals"]["share_accepted_within_deadline"] == 1.0
        assert figures["ageing_of_open_cases"] == {"0-7日": 0, "8-30日": 2, "31-90日": 0, "91日以上": 0}
        exported = await case.get("/v1/figures", headers=supervisor(settings), params={"format": "csv"})
        rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
        assert ["consultations", "by_area", "西部", "1"] in rows
        assert ["ageing_of_open_cases", "8-30日", "", "2"] in rows
        mine = (await case.get("/v1/figures", headers=coordinator(settings, "西部", "csw-seibu-1"))).json()
        assert mine["consultations"]["by_area"] == {"西部": 1}
        assert (await case.get("/v1/figures", headers=bearer(settings, "reporter", "vol-1"))).status_code == 403


async def _count(case, headers, expected: int) -> bool:
    return (await case.get("/v1/cases", headers=headers)).json()["total"] == expected


async def test_pdca_figures_judge_each_referral_by_the_follow_up_policy_in_use(
    make_settings, tmp_path: Path, database_backend
) -> None:
    """The all-time figures count "accepted within the deadline" against the policy's
    decide span for the agency's kind and the referral's urgency (an emergency: 24 clock
    hours, not 3 business days), and a reference reload brings a changed policy in."""
    folder = tmp_path / "reference"
    shutil.copytree(PROJECT_ROOT / "reference", folder)
    settings = make_settings(reference_dir=folder)
    sv = supervisor(settings)
    clock = FrozenClock(datetime(2026, 11, 2, 1, 0, tzinfo=UTC))  # Monday 10:00 JST
    async with running_service("intake", settings) as intake, running_service("case", settings, clock) as case:
        case_id, referral_id = await _referred_case(intake, case, settings, urgency="緊急")
        accepted = ReferralAccepted(referral_id=referral_id, case_id=case_id, agency_id="hc-3", area="中部")
        # Accepted 30 hours later: within 3 business days, but not within an emergency's 24 hours.
        await publish(
            settings,
            accepted,
            case_id=case_id,
            envelope=Envelope.wrap(
                accepted,
                aggregate_id=referral_id,
                actor=Actor(role="agency", id="hc-3"),
                correlation_id="c",
                case_id=case_id,
                occurred_at=clock.now() + timedelta(hours=30),
            ),
        )

        async def accepted_seen() -> bool:
            return (await case.get(f"/v1/cases/{case_id}", headers=sv)).json()["stage"] == "つなぎ済"

        await eventually(accepted_seen, what="accepted")
        referrals = (await case.get("/v1/figures", headers=sv)).json()["referrals"]
        assert (referrals["accepted_within_deadline"], referrals["accepted_late"]) == (0, 1)
        assert referrals["deadline_business_days"] == 3  # the default decide span

        policy = yaml.safe_load((folder / "followups.yaml").read_text(encoding="utf-8"))
        policy["urgency"]["緊急"]["decide"] = {"hours": 48}
        (folder / "followups.yaml").write_text(yaml.safe_dump(policy, allow_unicode=True), encoding="utf-8")
        reloaded = await case.post("/v1/admin/reference/reload", headers=sv)
        assert reloaded.status_code == 200, reloaded.text
        referrals = (await case.get("/v1/figures", headers=sv)).json()["referrals"]
        assert (referrals["accepted_within_deadline"], referrals["accepted_late"]) == (1, 0)
        assert referrals["share_accepted_within_deadline"] == 1.0


async def test_the_case_verification_says_whether_its_chain_holds(make_settings, database_backend) -> None:
    """``GET /v1/cases/{id}/verification``: the same walk as ``tsunagi verify`` over the
    case's chain; an entry removed behind the service's back is named."""
    settings = make_settings()
    sv = supervisor(settings)
    async with running_service("intake", settings) as intake, running_service("case", settings) as case:
        case_id, _referral_id = await _referred_case(intake, case, settings)
        entries = (await case.get(f"/v1/cases/{case_id}/timeline", headers=sv)).json()["items"]
        assert sorted(e["seq"] for e in entries) == list(range(1, len(entries) + 1))
        verified = (await case.get(f"/v1/cases/{case_id}/verification", headers=sv)).json()
        assert verified["intact"] is True and verified["entries"] == len(entries)
        assert verified["chains"] == [
            {"case_id": case_id, "entries": len(entries), "verified": len(entries), "intact": True, "broken": None}
        ]
        mine = await case.get(f"/v1/cases/{case_id}/verification", headers=coordinator(settings))
        assert mine.status_code == 200
        agency = bearer(settings, "agency", "hc-3")
        assert (await case.get(f"/v1/cases/{case_id}/verification", headers=agency)).status_code == 403
        elsewhere = coordinator(settings, "西部", "csw-seibu-1")
        assert (await case.get(f"/v1/cases/{case_id}/verification", headers=elsewhere)).status_code == 404

        engine = make_engine(settings, "case")
        try:
            async with triggers_off(engine) as db:
                await db.execute(timeline.delete().where(timeline.c.case_id == case_id, timeline.c.seq == 2))
        finally:
            await engine.dispose()
        verified = (await case.get(f"/v1/cases/{case_id}/verification", headers=sv)).json()
        assert verified["intact"] is False
        assert verified["chains"][0]["broken"]["kind"] == "deleted"
        assert verified["chains"][0]["broken"]["seq"] == 2
        assert "2番目の経過が削除されています" in verified["chains"][0]["broken"]["detail"]
