"""Retention (保存期間): ``tsunagi retention run`` erases a case closed longer than the
reference data's period in every service that holds it — case, intake, referral,
notify — while a case closed recently or still open is untouched; the chain still
verifies, the erasure is on the timeline, the figures still count the case, and a dry
run changes nothing. The erasure reaches the messaging too — every outbox, the streams,
the dead letters — and ``tsunagi check`` counts what it erased unapplied as erased, not
lost. The four services run in-process on one clock file; the command runs as the
operator runs it, in its own process."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from case_helpers import case_of, close_case, consultation, coordinator, post, submit, supervisor
from redis.asyncio import Redis
from retention_support import aggregates_of, snapshot, unchanged

from shared.clock import Clock, set_clock_offset
from shared.events.case import ERASED_TEXT
from shared.messaging.broker import make_redis
from shared.messaging.streams import dead_letter_stream
from shared.settings import Settings
from tests.support.erasure import (
    check,
    dead_letter_in,
    erased,
    event_ids_in_streams,
    forget_applied,
    outbox_rows,
    resolved_records,
)
from tests.support.load import run_tsunagi
from tests.support.services import bearer, eventually, running_service
from tests.support.timelines import verify

YEAR = timedelta(days=365)


async def _move_clock(clock_file: Path, ahead: timedelta) -> None:
    """Moves every process's clock, and waits until each has read it again (they recheck
    the file every ``Clock.RECHECK_S``): a plan's dates are judged by the service's today."""
    set_clock_offset(clock_file, ahead.total_seconds())
    await asyncio.sleep(2 * Clock.RECHECK_S)


async def _worked_case(
    intake, case, referral, settings: Settings, *, name: str, close: bool, merge_in: str | None = None
) -> str:
    """A case with a watch plan (見守り) and a check-in, a contact, a note and a referral the
    referral service holds; the case ``merge_in`` merged into it; closed if ``close`` (its
    watch ended first)."""
    chubu = coordinator(settings)
    body = consultation(person={**consultation()["person"], "name": name})
    opened = await case_of(case, settings, await submit(intake, settings, body), chubu)
    path = f"/v1/cases/{opened['id']}"
    v = (
        await post(case, f"{path}/assignment", chubu, {"coordinator_id": "csw-chubu-1", "version": opened["version"]})
    )["version"]
    # A month from the shared clock's today (not the case's opening: the case service may
    # have opened it just before it read a moved clock).
    until = (Clock(settings.clock_file).now() + timedelta(days=30)).date().isoformat()
    plan = {"watcher_kind": "coordinator", "every": 7, "unit": "days", "look_for": "サンプル: 夜の明かり"}
    watch = await post(case, f"{path}/watch", chubu, {**plan, "until": until, "version": v}, 201)
    checkin = {"kind": "電話", "outcome": "変わりなし", "note": "サンプル: 元気そう", "version": watch["version"]}
    v = (await post(case, f"{path}/watch/{watch['plan_id']}/checkins", chubu, checkin, 201))["version"]
    if close:
        v = (await post(case, f"{path}/watch/{watch['plan_id']}/end", chubu, {"version": v}))["version"]
    contact = {"channel": "電話", "whom": "サンプル長女", "outcome": "サンプル: 聞き取り", "version": v}
    v = (await post(case, f"{path}/contacts", chubu, contact, 201))["version"]
    v = (await post(case, f"{path}/notes", chubu, {"body": "サンプル: 自宅の様子", "version": v}, 201))["version"]
    activity = {"kind": "訪問", "outcome_kind": "会えた・話せた", "note": "サンプル: 活動のメモ", "version": v}
    v = (await post(case, f"{path}/activities", chubu, activity, 201))["version"]
    share = {"agency_id": "hc-3", "purpose": "サンプル: 訪問の依頼", "share": ["categories"], "version": v}
    made = await post(case, f"{path}/referrals", chubu, share, 201)
    agency = bearer(settings, "agency", "hc-3")

    async def held() -> bool:
        return (await referral.get(f"/v1/referrals/{made['referral_id']}", headers=agency)).status_code == 200

    await eventually(held, what="the referral in the referral service")
    v = made["version"]
    if merge_in is not None:
        source = (await case.get(f"/v1/cases/{merge_in}", headers=chubu)).json()
        await post(
            case, f"/v1/cases/{merge_in}/merge", chubu, {"into_case_id": opened["id"], "version": source["version"]}
        )
        v = (await case.get(path, headers=chubu)).json()["version"]
    if close:
        await close_case(case, settings, opened["id"], chubu, v, "サンプル: 本人の希望")  # its referral is open
    return opened["id"]


async def _messages_erased(settings: Settings, redis: Redis, old: set[str], recent: set[str], failed: str) -> None:
    """The old case's events lost their personal fields in every outbox, their stream
    entries, its dead letter and the record of the earlier one's copy; ``tsunagi check``
    counts the dead-lettered one as erased, and still finds a real loss."""
    rows = [r for service in ("intake", "case", "referral") for r in await outbox_rows(settings, service, old)]
    assert {r["event_type"] for r in rows} >= {
        "consultation.submitted",
        "referral.requested",
        "case.status_changed",
        "case.activity_recorded",
    }
    assert all(erased(r) for r in rows), rows
    assert not {r["event_id"] for r in rows} & await event_ids_in_streams(redis)
    kept = await outbox_rows(settings, "case", recent)
    assert kept and all(r["erased_at"] is None for r in kept)
    assert await redis.xlen(dead_letter_stream("notify")) == 0
    records = await resolved_records(redis, "notify")
    assert sorted(r[b"outcome"] for r in records) == [b"discarded", b"erased"]
    assert not any(b"original" in r or b"error" in r for r in records)

    report = await check(settings, redis)
    flow = next(f for f in report.flows if (f.event_type, f.consumer) == ("referral.requested", "notify"))
    assert report.ok and (flow.erased, flow.lost) == (1, []), report.as_dict()
    real = next(r for r in kept if r["event_type"] == "referral.requested")["event_id"]
    await forget_applied(settings, "notify", real)
    report = await check(settings, redis)
    assert report.lost == 1 and [f.lost for f in report.flows if f.lost] == [[real]], report.as_dict()


async def _retention(settings: Settings, *args: str) -> dict[str, Any]:
    # In a thread: the services run on this test's event loop, and a blocked loop would
    # hold an open write transaction of theirs for as long as the command waits for it.
    done = await asyncio.to_thread(run_tsunagi, settings, "retention", "run", "--json", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


async def test_retention_erases_a_case_past_the_period_everywhere_and_keeps_the_proof(
    make_settings, database_backend, tmp_path, monkeypatch
) -> None:
    clock_file = tmp_path / "clock-offset"
    clock_file.write_text("0", encoding="utf-8")
    monkeypatch.setenv("TSUNAGI_CLOCK_FILE", str(clock_file))  # the command reads the same clock
    settings = make_settings(clock_file=clock_file)
    sv = supervisor(settings)
    redis = make_redis(settings)
    async with (
        running_service("intake", settings) as intake,
        running_service("case", settings) as case,
        running_service("referral", settings) as referral,
        running_service("notify", settings),
    ):
        old = await _worked_case(intake, case, referral, settings, name="サンプル 古川", close=True)
        await _move_clock(clock_file, 3 * YEAR)
        recent = await _worked_case(intake, case, referral, settings, name="サンプル 新田", close=True)
        still_open = await _worked_case(intake, case, referral, settings, name="サンプル 開口", close=False)
        await _move_clock(clock_file, 6 * YEAR)

        figures_before = (await case.get("/v1/figures", headers=sv)).json()
        before = {c: await snapshot(settings, c) for c in (old, recent, still_open)}
        # Notify failed the old case's referral request: dead-lettered (once resolved before).
        old_ids, recent_ids = (aggregates_of(before[c]) for c in (old, recent))
        requested = [r for r in await outbox_rows(settings, "case", old_ids) if r["event_type"] == "referral.requested"]
        await dead_letter_in(redis, "notify", "referral.requested", requested[0]["event_id"])
        await forget_applied(settings, "notify", requested[0]["event_id"])
        assert all(r["noticed"] != ERASED_TEXT for r in before[old]["intake.consultations"].values())
        assert before[old]["notify.notifications"], "notify recorded notices about the case"

        dry = await _retention(settings, "--dry-run")
        assert [c["case_id"] for c in dry["cases"]] == [old]
        assert dry["dry_run"] is True and dry["retention_years"] == 5
        for c in (old, recent, still_open):
            assert unchanged(before[c], await snapshot(settings, c))

        run = await _retention(settings)
        assert [c["case_id"] for c in run["cases"]] == [old]
        assert run["cases"][0]["entries"] >= len(before[old]["case.timeline"])

        async def erased_everywhere() -> dict[str, Any] | None:
            now = await snapshot(settings, old)
            done = (
                all(r["noticed"] == ERASED_TEXT and r["person"] == {} for r in now["intake.consultations"].values())
                and all(r["purpose"] == ERASED_TEXT and r["reason"] is None for r in now["referral.referrals"].values())
                # The notices recorded before the run (a later delivery failure's notice quotes no one).
                and all(
                    now["notify.notifications"][n]["body"] == ERASED_TEXT for n in before[old]["notify.notifications"]
                )
            )
            return now if done else None

        after = await eventually(erased_everywhere, timeout=30, what="every service erased the old case")
        await _messages_erased(settings, redis, old_ids, recent_ids, requested[0]["event_id"])
        assert [(c["person"], c["legal_ground"]) for c in after["case.cases"].values()] == [({}, None)]
        assert all(c["erased_at"] is not None for c in after["case.cases"].values())
        assert all(
            c["person"] == {} and c["noticed"] == ERASED_TEXT and c["name_key"] is None
            for c in after["case.case_consultations"].values()
        )
        assert list(after["case.contacts"].values()) == [{"whom": ERASED_TEXT, "outcome": ERASED_TEXT}]
        assert list(after["case.notes"].values()) == [{"body": ERASED_TEXT}]
        assert [r["purpose"] for r in after["case.referrals"].values()] == [None]
        assert list(after["case.watch_plans"].values()) == [{"look_for": ERASED_TEXT}]
        assert list(after["case.watch_checkins"].values()) == [{"note": None}]
        assert list(after["case.activities"].values()) == [{"note": None}]
        timeline_after = after["case.timeline"]
        for event_id, entry in before[old]["case.timeline"].items():
            kept = timeline_after[event_id]
            assert (kept["content_hash"], kept["chain_hmac"], kept["seq"]) == (
                entry["content_hash"],
                entry["chain_hmac"],
                entry["seq"],
            )
            assert kept["erased_at"] is not None
        reasons = [
            e["summary"].get("reason") for e in timeline_after.values() if e["summary"].get("to_status") == "終結"
        ]
        assert reasons == [ERASED_TEXT]
        assert "サンプル" not in json.dumps([e["summary"] for e in timeline_after.values()], ensure_ascii=False)

        shown = (await case.get(f"/v1/cases/{old}/timeline", headers=sv)).json()["items"]
        erasure = [e for e in shown if e["type"] == "case.retention_erased"]
        assert len(erasure) == 1 and erasure[0]["seq"] > len(before[old]["case.timeline"])
        assert "notes.body" in erasure[0]["summary"]["erased"]
        assert all(e["intact"] for e in shown)  # an erased entry is not shown as tampered with
        assert set(before[old]["case.timeline"]) <= {e["event_id"] for e in shown if e["erased_at"]}
        assert erasure[0]["erased_at"] is None

        for untouched in (recent, still_open):
            assert unchanged(before[untouched], await snapshot(settings, untouched))

        figures_after = (await case.get("/v1/figures", headers=sv)).json()
        # What is counted of the cases themselves; the ageing of open cases and the
        # referrals' lateness move with the clock, not with the erasure.
        for figures in (figures_before, figures_after):
            for moving in ("generated_at_jst", "ageing_of_open_cases"):
                figures.pop(moving, None)
            figures["referrals"] = {"requested": figures["referrals"]["requested"]}
        assert figures_after == figures_before
        assert figures_after["consultations"]["total"] == 3

        assert (await _retention(settings))["cases"] == []  # erased once; a second run finds nothing
    await redis.aclose()
    # The operator's verify, once the services are stopped (SQLite: no writer beside it).
    code, report = await verify(settings)
    assert code == 0, report
    assert report["intact"] is True and report["cases"] >= 3


async def test_the_case_service_runs_retention_on_its_schedule(make_settings, database_backend, tmp_path) -> None:
    """``TSUNAGI_RETENTION_INTERVAL_S``: the running case service erases a case that
    fell due, with no command run; the erasure is on the case's timeline, and on that
    of the case merged into it (else verify would name its erased entries unrecorded)."""
    clock_file = tmp_path / "clock-offset"
    clock_file.write_text("0", encoding="utf-8")
    settings = make_settings(clock_file=clock_file, retention_interval_s=0.3)
    sv = supervisor(settings)
    async with (
        running_service("intake", settings) as intake,
        running_service("case", settings) as case,
        running_service("referral", settings) as referral,
        running_service("notify", settings),
    ):
        body = consultation(person={**consultation()["person"], "name": "サンプル 併合"})
        merged = (await case_of(case, settings, await submit(intake, settings, body), coordinator(settings)))["id"]
        closed = await _worked_case(intake, case, referral, settings, name="サンプル 定期", close=True, merge_in=merged)
        held = await snapshot(settings, closed)
        assert all(c["erased_at"] is None for c in held["case.cases"].values())  # not due yet: kept
        await _move_clock(clock_file, 6 * YEAR)

        async def erased() -> list[dict[str, Any]] | None:
            shown = (await case.get(f"/v1/cases/{closed}/timeline", headers=sv)).json()["items"]
            return [e for e in shown if e["type"] == "case.retention_erased"] or None

        records = await eventually(erased, what="the scheduled erasure")
        assert sorted(e["case_id"] for e in records) == sorted([closed, merged])
        after = await snapshot(settings, closed)
        assert list(after["case.notes"].values()) == [{"body": ERASED_TEXT}]
    code, report = await verify(settings)
    assert code == 0, report
