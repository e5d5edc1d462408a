"""Issue 4's flow end to end: the four services as separate processes on real Redis,
each with its own database, driven over HTTP the way users drive them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shared.settings import PROJECT_ROOT
from tests.support.services import bearer
from tests.support.system import running_system, wait_for

EXAMPLE = json.loads((PROJECT_ROOT / "examples" / "consultation.json").read_text(encoding="utf-8"))


def items(body: Any) -> list[dict[str, Any]]:
    return body["items"] if isinstance(body, dict) else body


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_one_consultation_through_all_four_services(
    tmp_path: Path, redis_url: str, backend: str, request: pytest.FixtureRequest
) -> None:
    database_url = request.getfixturevalue("postgres_database_url") if backend == "postgresql" else None
    with running_system(tmp_path, redis_url=redis_url, database_url=database_url) as system:
        settings = system.settings
        reporter = bearer(settings, "reporter", "vol-e2e", subject="vol-e2e")
        coordinator = bearer(settings, "coordinator", "中部", subject="csw-chubu-1")
        other_area = bearer(settings, "coordinator", "南部", subject="csw-nanbu-1")
        agency = bearer(settings, "agency", "hc-3", subject="hc-3-staff")
        supervisor = bearer(settings, "supervisor", "city", subject="sv-1")
        intake, case, referral, notify = (system.client(s) for s in ("intake", "case", "referral", "notify"))

        # 1. A volunteer raises a consultation (SD07 is in 中部).
        submitted = intake.post("/v1/consultations", json=EXAMPLE, headers=reporter)
        assert submitted.status_code == 201, submitted.text
        reference = submitted.json()["reference"]

        # 2. It becomes a case in 中部's queue — not in 南部's.
        def find_case() -> dict[str, Any] | None:
            listed = case.get("/v1/cases", headers=coordinator)
            assert listed.status_code == 200, listed.text
            return next(iter(items(listed.json())), None)

        found = wait_for(find_case, "the case in 中部's queue")
        case_id = found["id"]
        assert items(case.get("/v1/cases", headers=other_area).json()) == []
        assert case.get(f"/v1/cases/{case_id}", headers=other_area).status_code == 404
        detail = case.get(f"/v1/cases/{case_id}", headers=coordinator).json()
        assert detail["area"] == "中部"

        # 3. The coordinator assigns it, then refers it to an agency, sharing two fields.
        assigned = case.post(
            f"/v1/cases/{case_id}/assignment",
            headers=coordinator,
            json={"coordinator_id": "csw-chubu-1", "version": detail["version"]},
        )
        assert assigned.status_code == 200, assigned.text
        stale = case.post(
            f"/v1/cases/{case_id}/assignment",
            headers=coordinator,
            json={"coordinator_id": "csw-chubu-2", "version": detail["version"]},
        )
        assert stale.status_code == 409 and "current_version" in stale.json()
        version = case.get(f"/v1/cases/{case_id}", headers=coordinator).json()["version"]
        referred = case.post(
            f"/v1/cases/{case_id}/referrals",
            headers=coordinator,
            json={
                "agency_id": "hc-3",
                "purpose": "サンプル: 世帯の状況確認と介護保険の相談",
                "share": ["age_group", "categories"],
                "version": version,
            },
        )
        assert referred.status_code == 201, referred.text
        referral_id = referred.json()["referral_id"]

        # 4. The agency finds it in its inbox, sees only what was shared, and accepts it.
        def in_inbox() -> dict[str, Any] | None:
            return next(
                (r for r in items(referral.get("/v1/referrals", headers=agency).json()) if r["id"] == referral_id), None
            )

        wait_for(in_inbox, "the referral in hc-3's inbox")
        seen = referral.get(f"/v1/referrals/{referral_id}", headers=agency)
        assert seen.status_code == 200
        text = json.dumps(seen.json(), ensure_ascii=False)
        assert "新聞" not in text and "サンプル町" not in text  # noticed / place were not shared
        current = seen.json()["version"]
        accepted = referral.post(
            f"/v1/referrals/{referral_id}/accept",
            headers=agency,
            json={"version": current, "note": "サンプル: 訪問します"},
        )
        assert accepted.status_code == 200, accepted.text
        twice = referral.post(
            f"/v1/referrals/{referral_id}/accept", headers=agency, json={"version": accepted.json()["version"]}
        )
        assert twice.status_code == 409

        # 5. The case's timeline has every step, in order, with actor and time.
        expected = [
            "consultation.submitted",
            "case.opened",
            "case.assigned",
            "referral.requested",
            "referral.received",
            "referral.accepted",
        ]

        def timeline_complete() -> list[dict[str, Any]] | None:
            entries = items(case.get(f"/v1/cases/{case_id}/timeline", headers=supervisor).json())
            types = [e["type"] for e in entries]
            return entries if all(t in types for t in expected) else None

        entries = wait_for(timeline_complete, "the full timeline")
        types = [e["type"] for e in entries]
        assert [t for t in types if t in expected] == expected
        assert len(types) == len({e["event_id"] for e in entries}), "each event appears once"
        for entry in entries:
            assert entry["actor"]["role"] and entry["occurred_at"]

        # 6. The three parties were told.
        def notified(headers: dict[str, str]) -> list[dict[str, Any]]:
            response = notify.get("/v1/notifications", headers=headers)
            assert response.status_code == 200, response.text
            return items(response.json())

        wait_for(lambda: notified(agency), "the agency's notification of the new referral")
        wait_for(lambda: notified(coordinator), "the coordinator's notification of the acceptance")
        wait_for(lambda: notified(reporter), "the reporter's notification")
        reporter_text = json.dumps(notified(reporter), ensure_ascii=False)
        assert "hc-3" not in reporter_text and "サンプル町" not in reporter_text

        # 7. The reporter sees the stage only.
        status = wait_for(
            lambda: (
                (s := intake.get(f"/v1/consultations/{reference}", headers=reporter).json())
                and s["stage"] == "つなぎ済"
                and s
            ),
            "the reporter's stage つなぎ済",
        )
        assert set(status) == {"reference", "stage", "received_at", "received_at_jst", "updated_at", "updated_at_jst"}
