"""Supervisor approvals and community issues end to end: the four services as separate
processes on real Redis, driven over HTTP. A share without consent waits for a
supervisor and is approved (the referral reaches the agency); another is refused; a
緊急 share goes at once and waits for the supervisor's review; a close with an open
referral is approved and carried out; an unmet need from two cases becomes a community
issue that the supervisor's counts show."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.settings import PROJECT_ROOT
from tests.support.services import bearer
from tests.support.system import running_system, wait_for

EXAMPLE = json.loads((PROJECT_ROOT / "examples" / "consultation.json").read_text(encoding="utf-8"))
GROUND = "サンプル: 生命の危険(孤立死のおそれ)"
# A second household of the same school district (not the same place or household: no link).
OTHER = {
    **EXAMPLE,
    "person": {"name": None, "age_group": "70代", "approximate_place": "サンプル町5丁目付近"},
    "household": [{"relation": "本人", "age_group": "70代"}, {"relation": "長女", "age_group": "40代"}],
}
NEED = "サンプル: 50代のひきこもりの人が日中に通える居場所が校区にない"


def _ok(answer: httpx.Response, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    return answer.json()


# As separate processes on the production database: the same rules run in-process on
# SQLite and PostgreSQL in tests/integration (test_flow keeps the e2e on SQLite).
@pytest.mark.parametrize("backend", ["postgresql"])
def test_approvals_and_a_community_issue_over_http(
    tmp_path: Path, redis_url: str, backend: str, request: pytest.FixtureRequest
) -> None:
    database_url = request.getfixturevalue("postgres_database_url") if backend == "postgresql" else None
    with running_system(tmp_path, redis_url=redis_url, database_url=database_url) as system:
        settings = system.settings
        chubu = bearer(settings, "coordinator", "中部", subject="csw-chubu-1")
        nanbu = bearer(settings, "coordinator", "南部", subject="csw-nanbu-1")
        sv = bearer(settings, "supervisor", "city", subject="sv-1")
        agency = bearer(settings, "agency", "hc-3", subject="hc-3-staff")
        intake, case, referral = (system.client(s) for s in ("intake", "case", "referral"))

        def open_case(reporter: str, body: dict[str, Any]) -> tuple[str, int]:
            """A consultation in 中部 (SD07), in hand, without consent but on a legal ground."""
            reference = _ok(
                intake.post("/v1/consultations", json=body, headers=bearer(settings, "reporter", reporter)), 201
            )["reference"]

            def found() -> dict[str, Any] | None:
                listed = _ok(case.get("/v1/cases/search", params={"q": reference}, headers=chubu))
                return next(iter(listed["items"]), None)

            case_id = wait_for(found, f"the case of {reference}")["id"]
            version = _ok(case.get(f"/v1/cases/{case_id}", headers=chubu))["version"]
            version = _ok(
                case.post(
                    f"/v1/cases/{case_id}/assignment",
                    headers=chubu,
                    json={"coordinator_id": "csw-chubu-1", "version": version},
                )
            )["version"]
            version = _ok(
                case.post(
                    f"/v1/cases/{case_id}/consent",
                    headers=chubu,
                    json={"consent": "同意なし", "legal_ground": GROUND, "version": version},
                )
            )["version"]
            return case_id, version

        a, a_version = open_case("vol-a", EXAMPLE)
        b, b_version = open_case("vol-b", OTHER)
        share = {"agency_id": "hc-3", "purpose": "サンプル: 見守りと介護保険の相談", "share": ["noticed", "age_group"]}

        # 1. Sharing personal fields without consent (not urgent): refused, to be requested.
        refused = case.post(f"/v1/cases/{a}/referrals", headers=chubu, json={**share, "version": a_version})
        assert refused.status_code == 409 and refused.json()["approval_required"] == "share_without_consent"
        asked = _ok(
            case.post(
                f"/v1/cases/{a}/approvals",
                headers=chubu,
                json={
                    "move": "share_without_consent",
                    "reason": "サンプル: 本人と連絡が取れず、急がないが放置できない",
                    **share,
                    "version": a_version,
                },
            ),
            201,
        )
        twice = case.post(
            f"/v1/cases/{a}/approvals",
            headers=chubu,
            json={"move": "share_without_consent", "reason": "サンプル: 再送", **share, "version": asked["version"]},
        )
        assert twice.status_code == 409, twice.text
        queue = _ok(case.get("/v1/approvals", params={"status": "pending"}, headers=sv))["items"]
        assert [(q["id"], q["move_label"], q["status_label"]) for q in queue] == [
            (asked["approval_id"], "同意なしの個人情報の共有", "承認待ち")
        ]
        assert "reason" not in queue[0]  # the queue carries no one's words
        assert _ok(case.get("/v1/approvals", headers=nanbu))["items"] == []
        assert case.get(f"/v1/approvals/{asked['approval_id']}", headers=nanbu).status_code == 404
        # Only a supervisor decides; the decision needs a reason (named in Japanese).
        assert (
            case.post(
                f"/v1/approvals/{asked['approval_id']}/decision",
                headers=chubu,
                json={"decision": "approve", "reason": "x"},
            ).status_code
            == 403
        )
        blank = case.post(
            f"/v1/approvals/{asked['approval_id']}/decision", headers=sv, json={"decision": "approve", "reason": ""}
        )
        assert blank.status_code == 422 and blank.json()["errors"][0]["loc"][-1] == "reason", blank.text
        seen = _ok(case.get(f"/v1/approvals/{asked['approval_id']}", headers=sv))
        assert seen["reason"].startswith("サンプル: 本人と")
        assert any(
            r["what"] == "approval" and r["reader_id"] == "sv-1"
            for r in _ok(case.get(f"/v1/cases/{a}/reads", headers=sv))["items"]
        )
        done = _ok(
            case.post(
                f"/v1/approvals/{asked['approval_id']}/decision",
                headers=sv,
                json={"decision": "approve", "reason": "サンプル: 生命の危険があり妥当"},
            )
        )
        assert (done["status"], done["status_label"]) == ("carried_out", "承認・実行済"), done
        referral_id = done["outcome"]
        shared = wait_for(
            lambda: (
                referral.get(f"/v1/referrals/{referral_id}", headers=agency).status_code == 200
                and referral.get(f"/v1/referrals/{referral_id}", headers=agency).json()
            ),
            "the approved referral at the agency",
        )
        assert "noticed" in json.dumps(shared, ensure_ascii=False)
        again = case.post(
            f"/v1/approvals/{asked['approval_id']}/decision",
            headers=sv,
            json={"decision": "refuse", "reason": "サンプル: やはり"},
        )
        assert again.status_code == 409, again.text

        # 2. Another request refused: nothing is shared.
        other = _ok(
            case.post(
                f"/v1/cases/{b}/approvals",
                headers=chubu,
                json={
                    "move": "share_without_consent",
                    "reason": "サンプル: 念のため共有したい",
                    **share,
                    "version": b_version,
                },
            ),
            201,
        )
        no = _ok(
            case.post(
                f"/v1/approvals/{other['approval_id']}/decision",
                headers=sv,
                json={"decision": "refuse", "reason": "サンプル: まず本人の同意を得る努力を"},
            )
        )
        assert (no["status"], no["outcome"]) == ("refused", None)
        b_detail = _ok(case.get(f"/v1/cases/{b}", headers=chubu))
        assert b_detail["referrals"] == []

        # 3. 緊急: the share goes at once and waits for the supervisor's review.
        b_version = _ok(
            case.post(f"/v1/cases/{b}/triage", headers=chubu, json={"priority": "緊急", "version": b_detail["version"]})
        )["version"]
        _ok(case.post(f"/v1/cases/{b}/referrals", headers=chubu, json={**share, "version": b_version}), 201)
        reviews = [
            q
            for q in _ok(case.get("/v1/approvals", params={"status": "pending"}, headers=sv))["items"]
            if q["case_id"] == b
        ]
        assert [(q["kind_label"], q["status_label"]) for q in reviews] == [("事後確認", "事後確認待ち")]
        checked = _ok(
            case.post(
                f"/v1/approvals/{reviews[0]['id']}/decision",
                headers=sv,
                json={"decision": "approve", "reason": "サンプル: 緊急で妥当"},
            )
        )
        assert checked["status_label"] == "確認済"

        # 4. Closing a case with an open referral: approved, then carried out by the system.
        a_version = _ok(case.get(f"/v1/cases/{a}", headers=chubu))["version"]
        close = case.post(f"/v1/cases/{a}/status", headers=chubu, json={"to": "終結", "version": a_version})
        assert close.status_code == 409 and close.json()["approval_required"] == "close_with_open_work", close.text
        asked = _ok(
            case.post(
                f"/v1/cases/{a}/approvals",
                headers=chubu,
                json={
                    "move": "close_with_open_work",
                    "reason": "サンプル: 転居のため",
                    "status_reason": "転居",
                    "version": a_version,
                },
            ),
            201,
        )
        done = _ok(
            case.post(
                f"/v1/approvals/{asked['approval_id']}/decision",
                headers=sv,
                json={"decision": "approve", "reason": "サンプル: 紹介先へは引き継ぎ済み"},
            )
        )
        assert done["status"] == "carried_out", done
        a_detail = _ok(case.get(f"/v1/cases/{a}", headers=chubu))
        assert a_detail["status"] == "終結"
        types = [e["type"] for e in _ok(case.get(f"/v1/cases/{a}/timeline", headers=chubu))["items"]]
        for kind in ("case.approval_requested", "case.approval_decided", "case.approval_carried_out"):
            assert kind in types

        # 5. An unmet need on both cases, gathered into a community issue the counts show.
        need_ids = []
        for case_id in (a, b):
            version = _ok(case.get(f"/v1/cases/{case_id}", headers=chubu))["version"]
            if case_id == a:  # a closed case is reopened first
                version = _ok(
                    case.post(f"/v1/cases/{a}/status", headers=chubu, json={"to": "対応中", "version": version})
                )["version"]
            need_ids.append(
                _ok(
                    case.post(
                        f"/v1/cases/{case_id}/unmet-needs",
                        headers=chubu,
                        json={"category": "8050", "missing": NEED, "version": version},
                    ),
                    201,
                )["need_id"]
            )
        bad = case.post(
            f"/v1/cases/{b}/unmet-needs",
            headers=chubu,
            json={"category": "未知", "missing": NEED, "version": version + 1},
        )
        assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["category"], bad.text
        assert (
            case.post(
                "/v1/community-issues", headers=nanbu, json={"title": "サンプル", "need_ids": need_ids}
            ).status_code
            == 422
        )
        issue = _ok(
            case.post(
                "/v1/community-issues",
                headers=chubu,
                json={"title": "サンプル: ひきこもりの人の日中の居場所", "need_ids": need_ids},
            ),
            201,
        )
        moved = _ok(
            case.post(
                f"/v1/community-issues/{issue['issue_id']}/status",
                headers=chubu,
                json={"to": "discussed", "version": 1},
            )
        )
        skip = case.post(
            f"/v1/community-issues/{issue['issue_id']}/status",
            headers=chubu,
            json={"to": "addressed", "version": moved["version"]},
        )
        assert skip.status_code == 409, skip.text
        page = _ok(case.get(f"/v1/community-issues/{issue['issue_id']}", headers=sv))
        assert (page["status_label"], sorted(page["case_ids"])) == ("協議中", sorted([a, b]))
        assert [i["id"] for i in _ok(case.get("/v1/community-issues", headers=sv))["items"]] == [issue["issue_id"]]
        assert _ok(case.get("/v1/community-issues", headers=nanbu))["items"] == []
        counts = _ok(case.get("/v1/unmet-needs/counts", headers=sv))
        assert counts == [{"area": "中部", "school_district": "SD07", "category": "8050", "needs": 2, "gathered": 2}]
        assert case.get("/v1/unmet-needs/counts", headers=chubu).status_code == 403
