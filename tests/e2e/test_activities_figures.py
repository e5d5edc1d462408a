"""Activities and 見守り in the figures, end to end: the services as separate processes
on one shared clock file (moved by the test, nothing waits for days). An outreach in a
school district that found no one is logged for the area and counted; an accompaniment
on a case lands on its timeline (Japanese label) with its note sealed on the stream; a
daily check-in is missed, chased by notify and counted as missed; the next check-in
reports 気になる変化 and is counted as an alert — in the JSON figures and their CSV."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis import Redis

from shared.clock import JST, Clock, set_clock_offset
from shared.events.personal import SEALED_PREFIX
from shared.messaging.streams import decode_entry
from shared.settings import PROJECT_ROOT
from tests.support.services import bearer
from tests.support.system import running_system, wait_for

EXAMPLE = json.loads((PROJECT_ROOT / "examples" / "consultation.json").read_text(encoding="utf-8"))
# Tuesday 2 February 2027, 10:00 JST: a plain business week, mid-month.
START = datetime(2027, 2, 2, 10, 0, tzinfo=JST)
NOTE = "サンプル: 活動メモ封印確認"


def _move_to(clock_file: Path, moment: datetime) -> None:
    set_clock_offset(clock_file, (moment - datetime.now(UTC)).total_seconds())
    time.sleep(2 * Clock.RECHECK_S)


def _ok(answer: httpx.Response, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    return answer.json()


def _figures(case: httpx.Client, headers: dict[str, str]) -> dict[str, Any]:
    return _ok(case.get("/v1/figures", headers=headers, params={"period": "month", "at": "2027-02"}))["current"]


# As separate processes on the production database: the same rules run in-process on
# SQLite and PostgreSQL in tests/integration (test_flow keeps the e2e on SQLite).
@pytest.mark.parametrize("backend", ["postgresql"])
def test_outreach_without_a_case_activities_on_a_case_and_check_ins_are_counted(
    tmp_path: Path, redis_url: str, backend: str, request: pytest.FixtureRequest
) -> None:
    database_url = request.getfixturevalue("postgres_database_url") if backend == "postgresql" else None
    clock_file = tmp_path / "clock-offset"
    _move_to(clock_file, START)
    env = {"TSUNAGI_CLOCK_FILE": str(clock_file), "TSUNAGI_NOTIFY_FOLLOWUP_INTERVAL_S": "0.1"}
    with running_system(tmp_path, redis_url=redis_url, database_url=database_url, extra_env=env) as system:
        settings = system.settings
        chubu = bearer(settings, "coordinator", "中部", subject="csw-chubu-1")
        supervisor = bearer(settings, "supervisor", "city", subject="sv-1")
        intake, case = system.client("intake"), system.client("case")

        # 1. An outreach in SD07 (中部) the day before that found no one: logged for the area.
        outreach = {
            "kind": "アウトリーチ",
            "outcome_kind": "会えなかった",
            "happened_at": "2027-02-01T15:00:00+09:00",
            "school_district": "SD07",
            "residents": 0,
        }
        assert _ok(case.post("/v1/activities", headers=chubu, json=outreach), 201)["area"] == "中部"
        for body, field, status in (
            ({**outreach, "kind": "同行"}, "kind", 422),  # accompaniment is on a case
            ({**outreach, "happened_at": "2027-02-03T10:00:00+09:00"}, "happened_at", 422),  # tomorrow
            ({**outreach, "school_district": "SD99"}, "school_district", 422),
            ({**outreach, "school_district": "SD01"}, None, 403),  # 北東部: not theirs
        ):
            refused = _ok(case.post("/v1/activities", headers=chubu, json=body), status)
            if field:
                assert refused["errors"][0]["loc"] == [field], refused
        listed = _ok(case.get("/v1/activities", headers=supervisor, params={"without_case": "true"}))
        assert listed["total"] == 1 and listed["items"][0]["case_id"] is None

        # 2. A consultation becomes a case; an accompaniment with an agency is logged on it.
        reference = _ok(
            intake.post("/v1/consultations", json=EXAMPLE, headers=bearer(settings, "reporter", "vol-1")), 201
        )["reference"]

        def opened() -> dict[str, Any] | None:
            for item in _ok(case.get("/v1/cases", headers=chubu))["items"]:
                found = _ok(case.get(f"/v1/cases/{item['id']}", headers=chubu))
                if any(c["reference"] == reference for c in found["consultations"]):
                    return found
            return None

        detail = wait_for(opened, "the case opened")
        case_id, version = detail["id"], detail["version"]
        version = _ok(
            case.post(
                f"/v1/cases/{case_id}/assignment",
                headers=chubu,
                json={"coordinator_id": "csw-chubu-1", "version": version},
            )
        )["version"]
        activity = {
            "kind": "同行",
            "outcome_kind": "関係機関につないだ",
            "agency_ids": ["hc-3"],
            "account_ids": ["csw-chubu-1"],
            "note": NOTE,
        }
        early = _ok(
            case.post(
                f"/v1/cases/{case_id}/activities",
                headers=chubu,
                json={**activity, "happened_at": "2027-02-01T09:00:00+09:00", "version": version},
            ),
            422,
        )
        assert early["errors"][0]["loc"] == ["happened_at"], early
        version = _ok(
            case.post(f"/v1/cases/{case_id}/activities", headers=chubu, json={**activity, "version": version}), 201
        )["version"]
        on_case = _ok(case.get(f"/v1/cases/{case_id}/activities", headers=chubu))
        assert [(a["kind"], a["note"], a["school_district"]) for a in on_case["items"]] == [("同行", NOTE, "SD07")]
        timeline = _ok(case.get(f"/v1/cases/{case_id}/timeline", headers=chubu))
        entries = timeline["items"] if isinstance(timeline, dict) else timeline
        assert "活動記録" in [e["label"] for e in entries if e["type"] == "case.activity_recorded"]
        stream = Redis.from_url(redis_url).xrange("tsunagi.case")
        recorded = [e for e in (decode_entry(f) for _, f in stream) if e.type == "case.activity_recorded"]
        assert len(recorded) == 2 and all(
            e.payload["note"] is None or e.payload["note"].startswith(SEALED_PREFIX) for e in recorded
        )
        assert NOTE not in json.dumps([e.payload for e in recorded], ensure_ascii=False)

        # 3. A daily watch by the coordinator: the check-in due by the end of Wednesday is
        # missed (notify chases it), Friday's reports 気になる変化.
        version = _ok(
            case.post(f"/v1/cases/{case_id}/status", headers=chubu, json={"to": "見守り", "version": version})
        )["version"]
        plan = {
            "watcher_kind": "coordinator",
            "every": 1,
            "unit": "days",
            "look_for": "サンプル: 明かりがつくか",
            "until": "2027-03-31",
            "version": version,
        }
        plan_id = _ok(case.post(f"/v1/cases/{case_id}/watch", headers=chubu, json=plan), 201)["plan_id"]
        _move_to(clock_file, START + timedelta(days=3))  # Friday 2/5 10:00

        def missed() -> dict[str, Any] | None:
            found = _figures(case, supervisor)["checkins"]
            return found if found["missed"] == 1 else None

        wait_for(missed, "the missed check-in counted")
        version = _ok(case.get(f"/v1/cases/{case_id}", headers=chubu))["version"]
        _ok(
            case.post(
                f"/v1/cases/{case_id}/watch/{plan_id}/checkins",
                headers=chubu,
                json={"kind": "訪問", "outcome": "気になる変化", "version": version},
            ),
            201,
        )

        # 4. The figures: the city's and the area's, and the CSV.
        city = _figures(case, supervisor)
        assert city["activities"]["total"] == 2
        assert (city["activities"]["on_cases"], city["activities"]["without_case"]) == (1, 1)
        assert city["activities"]["by_kind"]["アウトリーチ"] == 1 and city["activities"]["by_kind"]["同行"] == 1
        assert city["activities"]["by_school_district"]["SD07"] == 2
        assert city["activities"]["by_area"]["中部"] == 2
        assert {k: city["checkins"][k] for k in ("done", "missed", "alerts")} == {"done": 1, "missed": 1, "alerts": 1}
        assert _figures(case, chubu)["checkins"]["alerts_by_area"]["中部"] == 1
        assert city["checkins"]["done_by_school_district"]["SD07"] == 1
        month = _ok(case.get("/v1/figures", headers=supervisor, params={"at": "2027-02"}))["series"][-1]
        assert month["activities"]["total"] == 2 and month["checkins"] == {"done": 1, "missed": 1, "alerts": 1}
        csv = case.get("/v1/figures", headers=supervisor, params={"at": "2027-02", "format": "csv"}).text
        assert "current,2027年2月,2027-02-01,2027-02-28,activities,by_kind,アウトリーチ,1" in csv
        assert "current,2027年2月,2027-02-01,2027-02-28,checkins,missed,,1" in csv
