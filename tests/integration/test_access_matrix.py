"""The access matrix: every operation of the four services' OpenAPI documents × every
kind of caller, with the status each must get written once in ``MATRIX`` below.

The callers are the seeded world's own people (tests/support/seeded.py: the case is in
中部, assigned to csw-chubu-1, raised by vol-1, referred to hc-3) and the same roles
from elsewhere (another area, another reporter, another agency), and no token at all.
A command is sent with a valid body that names a version no one has seen (999999):
a caller who may act gets past the access rules and meets the version guard (409), so
no cell changes what the next one sees; one who may not gets 401, 403 or 404 (a case or
referral not theirs is "not found", so its existence is not disclosed).

A "200e" cell is a 200 whose list must be empty: the caller may ask, but nothing of
anyone else's is in the answer.

A new operation without a row fails the test, as does a row for an operation that no
longer exists."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx

from shared.settings import Settings
from tests.support.seeded import seed_one_referral
from tests.support.services import bearer, running_service

SERVICES = ("intake", "case", "referral", "notify")
STALE = 999_999
UNKNOWN_ID = "01ZZZZZZZZZZZZZZZZZZZZZZZZ"

# Column order of MATRIX: (role, scope, subject), None for no token.
COLUMNS: dict[str, tuple[str, str, str] | None] = {
    "none": None,
    "coord": ("coordinator", "中部", "csw-chubu-1"),
    "coord2": ("coordinator", "西部", "csw-seibu-1"),
    "sv": ("supervisor", "city", "sv-1"),
    "rep": ("reporter", "vol-1", "vol-1"),
    "rep2": ("reporter", "vol-2", "vol-2"),
    "agency": ("agency", "hc-3", "hc-3"),
    "agency2": ("agency", "hc-1", "hc-1"),
    "helper": ("helper", "中部", "hotnet-1"),
}

# service method path                                               none coord coord2 sv rep rep2 agency agency2 helper
MATRIX = """
intake   GET  /health                                             200  200  200  200  200  200  200  200  200
intake   GET  /ready                                              200  200  200  200  200  200  200  200  200
intake   GET  /metrics                                            200  200  200  200  200  200  200  200  200
intake   GET  /asyncapi                                           200  200  200  200  200  200  200  200  200
intake   GET  /asyncapi.json                                      200  200  200  200  200  200  200  200  200
intake   POST /v1/admin/reference/reload                          401  403  403  200  403  403  403  403  403
intake   POST /v1/consultations                                   401  201  201  403  201  201  403  403  403
intake   GET  /v1/consultations                                   401  200e 200e 200e 200  200e 200e 200e  200e
intake   GET  /v1/consultations/{reference}                       401  404  404  404  200  404  404  404  404
intake   GET  /v1/options                                         200  200  200  200  200  200  200  200  200
case     GET  /health                                             200  200  200  200  200  200  200  200  200
case     GET  /ready                                              200  200  200  200  200  200  200  200  200
case     GET  /metrics                                            200  200  200  200  200  200  200  200  200
case     GET  /asyncapi                                           200  200  200  200  200  200  200  200  200
case     GET  /asyncapi.json                                      200  200  200  200  200  200  200  200  200
case     POST /v1/admin/reference/reload                          401  403  403  200  403  403  403  403  403
case     GET  /v1/cases                                           401  200  200e 200  403  403  403  403  403
case     GET  /v1/cases/search                                    401  200  200e 200  403  403  403  403  403
case     GET  /v1/cases/{case_id}                                 401  200  404  200  403  403  403  403  403
case     GET  /v1/cases/{case_id}/timeline                        401  200  404  200  403  403  403  403  403
case     GET  /v1/cases/{case_id}/verification                  401  200  404  200  403  403  403  403  403
case     GET  /v1/cases/{case_id}/reads                           401  200  404  200  403  403  403  403  403
case     GET  /v1/reads                                           401  403  403  200  403  403  403  403  403
case     GET  /v1/figures                                         401  200  200  200  403  403  403  403  403
case     POST /v1/cases/{case_id}/assignment                      401  409  404  403  403  403  403  403  403
case     POST /v1/cases/{case_id}/status                          401  409  404  403  403  403  403  403  403
case     POST /v1/cases/{case_id}/triage                          401  409  404  403  403  403  403  403  403
case     POST /v1/cases/{case_id}/area                            401  409  404  403  403  403  403  403  403
case     POST /v1/cases/{case_id}/consent                         401  409  404  403  403  403  403  403  403
case     POST /v1/cases/{case_id}/attention/clear                 401  409  404  403  403  403  403  403  403
case     POST /v1/cases/{case_id}/contacts                        401  409  404  403  403  403  403  403  403
case     POST /v1/cases/{case_id}/notes                           401  409  404  403  403  403  403  403  403
case     POST /v1/cases/{case_id}/household/members               401  409  404  403  403  403  403  403  403
case     POST /v1/cases/{case_id}/referrals                       401  409  404  403  403  403  403  403  403
case     POST /v1/cases/{case_id}/merge                           401  409  404  403  403  403  403  403  403
case     POST /v1/cases/{case_id}/merge/undo                      401  409  404  403  403  403  403  403  403
case     POST /v1/cases/{case_id}/link-offers/{offer_id}/dismiss  401  409  404  403  403  403  403  403  403
case     POST /v1/cases/assignments                               401  200  200  403  403  403  403  403  403
case     GET  /v1/cases/{case_id}/watch                           401  200  404  200  403  403  403  403  403
case     POST /v1/cases/{case_id}/watch                           401  409  404  403  403  403  403  403  403
case     POST /v1/cases/{case_id}/watch/{plan_id}                 401  409  404  403  403  403  403  403  403
case     POST /v1/cases/{case_id}/watch/{plan_id}/end             401  409  404  403  403  403  403  403  403
case     POST /v1/cases/{case_id}/watch/{plan_id}/checkins        401  409  404  403  403  403  403  403  403
case     POST /v1/cases/{case_id}/approvals                       401  409  404  403  403  403  403  403  403
case     GET  /v1/cases/{case_id}/approvals                       401  200  404  200  403  403  403  403  403
case     GET  /v1/approvals                                       401  200  200e 200  403  403  403  403  403
case     GET  /v1/approvals/{approval_id}                         401  404  404  404  403  403  403  403  403
case     POST /v1/approvals/{approval_id}/decision                401  403  403  404  403  403  403  403  403
case     POST /v1/approvals/{approval_id}/withdraw                401  404  404  403  403  403  403  403  403
case     POST /v1/cases/{case_id}/unmet-needs                     401  409  404  403  403  403  403  403  403
case     GET  /v1/cases/{case_id}/unmet-needs                     401  200  404  200  403  403  403  403  403
case     POST /v1/community-issues                                401  422  422  403  403  403  403  403  403
case     GET  /v1/community-issues                                401  200  200e 200  403  403  403  403  403
case     GET  /v1/community-issues/{issue_id}                     401  404  404  404  403  403  403  403  403
case     POST /v1/community-issues/{issue_id}/needs               401  404  404  404  403  403  403  403  403
case     POST /v1/community-issues/{issue_id}/status              401  404  404  404  403  403  403  403  403
case     GET  /v1/unmet-needs/counts                              401  403  403  200  403  403  403  403  403
case     GET  /v1/unmet-needs                                     401  200  200e 200  403  403  403  403  403
case     GET  /v1/cases/{case_id}/activities                      401  200  404  200  403  403  403  403  403
case     POST /v1/cases/{case_id}/activities                      401  409  404  403  403  403  403  403  403
case     GET  /v1/activities                                      401  200  200e 200  403  403  403  403  403
case     POST /v1/activities                                      401  201  403  403  403  403  403  403  403
case     POST /v1/cases/{case_id}/household/members/{member_id}/needs 401  409  404  403  403  403  403  403  403
case     GET  /v1/conferences                                     401  200  200e 200  403  403  200  200e 403
case     POST /v1/conferences                                     401  201  404  403  403  403  403  403  403
case     GET  /v1/conferences/{conference_id}                     401  200  404  200  403  403  200  404  403
case     POST /v1/conferences/{conference_id}/held                401  409  404  403  403  403  403  403  403
case     POST /v1/conferences/{conference_id}/cancel              401  409  404  403  403  403  403  403  403
case     POST /v1/conferences/{conference_id}/minutes             401  409  404  403  403  403  403  403  403
case     POST /v1/conferences/{conference_id}/shares              401  409  404  403  403  403  403  403  403
case     POST /v1/conferences/{conference_id}/tasks               401  409  404  403  403  403  403  403  403
case     POST /v1/conferences/{conference_id}/tasks/{task_id}/done 401  409  404  403  404  404  409  404  404
case     POST /v1/conferences/{conference_id}/tasks/{task_id}/cancel 401  409  404  403  404  404  409  404  404
case     GET  /v1/cases/{case_id}/helper-tasks                    401  200  404  200  403  403  403  403  403
case     POST /v1/cases/{case_id}/helper-tasks                    401  409  404  403  403  403  403  403  403
case     POST /v1/cases/{case_id}/helper-tasks/{task_id}/cancel   401  409  404  403  403  403  403  403  403
case     GET  /v1/helper/tasks                                    401  403  403  403  403  403  403  403  200e
case     GET  /v1/helper/tasks/{task_id}                          401  403  403  403  403  403  403  403  404
case     POST /v1/helper/tasks/{task_id}/checkins                 401  403  403  403  403  403  403  403  404
case     POST /v1/helper/tasks/{task_id}/activities               401  403  403  403  403  403  403  403  404
case     POST /v1/helper/tasks/{task_id}/{action}                 401  403  403  403  403  403  403  403  404
case     GET  /v1/helpers                                         401  200  200  200  403  403  403  403  403
case     GET  /v1/helpers/counts                                  401  200  200  200  403  403  403  403  403
referral GET  /health                                             200  200  200  200  200  200  200  200  200
referral GET  /ready                                              200  200  200  200  200  200  200  200  200
referral GET  /metrics                                            200  200  200  200  200  200  200  200  200
referral GET  /asyncapi                                           200  200  200  200  200  200  200  200  200
referral GET  /asyncapi.json                                      200  200  200  200  200  200  200  200  200
referral POST /v1/admin/reference/reload                          401  403  403  200  403  403  403  403  403
referral GET  /v1/referrals                                       401  200  200e 200  403  403  200  200e  403
referral GET  /v1/referrals/disclosures                           401  200  200e 200  403  403  403  403  403
referral GET  /v1/referrals/figures                               401  200  200  200  403  403  403  403  403
referral GET  /v1/referrals/{referral_id}                         401  200  404  200  404  404  200  404  404
referral GET  /v1/referrals/{referral_id}/fhir-task               401  200  404  200  403  403  403  403  403
referral POST /v1/referrals/{referral_id}/acknowledge             401  403  404  403  404  404  409  404  404
referral POST /v1/referrals/{referral_id}/accept                  401  403  404  403  404  404  409  404  404
referral POST /v1/referrals/{referral_id}/decline                 401  403  404  403  404  404  409  404  404
referral POST /v1/referrals/{referral_id}/start                   401  403  404  403  404  404  409  404  404
referral POST /v1/referrals/{referral_id}/hold                    401  403  404  403  404  404  409  404  404
referral POST /v1/referrals/{referral_id}/resume                  401  403  404  403  404  404  409  404  404
referral POST /v1/referrals/{referral_id}/complete                401  403  404  403  404  404  409  404  404
referral POST /v1/referrals/{referral_id}/fail                    401  403  404  403  404  404  409  404  404
referral POST /v1/referrals/{referral_id}/cancel                  401  409  404  403  404  404  403  404  404
referral GET  /v1/agencies                                        401  200  200  200  200  200  200  200  200
referral GET  /v1/agencies/{agency_id}                            401  200  200  200  200  200  200  200  200
notify   GET  /health                                             200  200  200  200  200  200  200  200  200
notify   GET  /ready                                              200  200  200  200  200  200  200  200  200
notify   GET  /metrics                                            200  200  200  200  200  200  200  200  200
notify   GET  /asyncapi                                           200  200  200  200  200  200  200  200  200
notify   GET  /asyncapi.json                                      200  200  200  200  200  200  200  200  200
notify   POST /v1/admin/reference/reload                          401  403  403  200  403  403  403  403  403
notify   GET  /v1/notifications                                   401  200  200e 200  200  200e 200  200e  200e
notify   POST /v1/notifications/{notification_id}/read            401  404  404  404  404  404  200  404  404
notify   GET  /v1/deliveries                                      401  403  403  200  403  403  403  403  403
notify   POST /v1/deliveries/{delivery_id}/retry                  401  403  403  404  403  403  403  403  403
notify   GET  /v1/overdue                                         401  200e 200e 200e 403  403  403  403  403
notify   GET  /v1/referrals/{referral_id}/followups               401  200  404  200  403  403  403  403  403
"""

# A watch plan (見守り) ending a month from the day the test runs (a past day is refused).
WATCH_PLAN = {
    "watcher_kind": "helper",
    "watcher_id": "hotnet-1",
    "every": 14,
    "unit": "days",
    "look_for": "サンプル: 新聞がたまっていないか",
    "until": (date.today() + timedelta(days=30)).isoformat(),
}
# A valid body per command (the version is always the stale one).
# A case conference (支援会議) about the seeded case, with hc-3 at the table.
CONFERENCE = {
    "kind": "支援会議",
    "title": "サンプル: 支援会議",
    "held_on": date.today().isoformat(),
    "case_ids": ["{case_id}"],
    "agencies": ["hc-3"],
}
# A valid body per command (the version is always the stale one).
BODIES: dict[str, dict[str, Any]] = {
    "/v1/cases/{case_id}/assignment": {"coordinator_id": "csw-chubu-2"},
    "/v1/cases/{case_id}/status": {"to": "対応中"},
    "/v1/cases/{case_id}/triage": {"priority": "高", "categories": ["孤立"]},
    "/v1/cases/{case_id}/area": {"area": "西部"},
    "/v1/cases/{case_id}/consent": {"consent": "同意あり"},
    "/v1/cases/{case_id}/contacts": {"channel": "電話", "whom": "本人", "outcome": "サンプル: 様子を聞いた"},
    "/v1/cases/{case_id}/notes": {"body": "サンプル: メモ"},
    "/v1/cases/{case_id}/household/members": {"relation": "長男"},
    "/v1/cases/{case_id}/referrals": {"agency_id": "hc-1", "purpose": "サンプル: 訪問", "share": ["age_group"]},
    "/v1/cases/{case_id}/merge": {"into_case_id": UNKNOWN_ID},
    "/v1/cases/{case_id}/watch": WATCH_PLAN,
    "/v1/cases/{case_id}/watch/{plan_id}": WATCH_PLAN,
    "/v1/cases/{case_id}/watch/{plan_id}/checkins": {"kind": "訪問", "outcome": "変わりなし"},
    "/v1/cases/{case_id}/approvals": {"move": "close_with_open_work", "reason": "サンプル: 転居"},
    "/v1/approvals/{approval_id}/decision": {"decision": "approve", "reason": "サンプル: 妥当"},
    "/v1/cases/{case_id}/unmet-needs": {"category": "孤立", "missing": "サンプル: 居場所がない"},
    "/v1/community-issues": {"title": "サンプル: 居場所", "need_ids": [UNKNOWN_ID, UNKNOWN_ID]},
    "/v1/community-issues/{issue_id}/needs": {"version": STALE, "need_ids": [UNKNOWN_ID]},
    "/v1/community-issues/{issue_id}/status": {"version": STALE, "to": "discussed"},
    "/v1/cases/{case_id}/activities": {"kind": "訪問", "outcome_kind": "会えた・話せた"},
    "/v1/activities": {"kind": "アウトリーチ", "outcome_kind": "会えなかった", "school_district": "SD07"},
    "/v1/cases/{case_id}/household/members/{member_id}/needs": {"categories": ["ヤングケアラー"]},
    "/v1/conferences": CONFERENCE,
    "/v1/conferences/{conference_id}/minutes": {"decisions": [{"case_id": UNKNOWN_ID, "decision": "サンプル: 決定"}]},
    "/v1/conferences/{conference_id}/shares": {"case_id": UNKNOWN_ID, "fields": ["categories"]},
    "/v1/conferences/{conference_id}/tasks": {
        "case_id": UNKNOWN_ID,
        "title": "サンプル: 様子を見る",
        "owner_kind": "agency",
        "owner_id": "hc-3",
        "due_on": (date.today() + timedelta(days=30)).isoformat(),
    },
    "/v1/cases/{case_id}/helper-tasks": {
        "helper_id": "hotnet-1",
        "kind": "声かけ",
        "instructions": "サンプル: 週に一度、声をかけてください",
        "share": ["age_group"],
    },
    "/v1/cases/{case_id}/helper-tasks/{task_id}/cancel": {"reason": "サンプル: 取り下げ"},
    "/v1/helper/tasks/{task_id}/checkins": {"kind": "訪問", "outcome": "変わりなし"},
    "/v1/helper/tasks/{task_id}/activities": {"kind": "同行", "outcome_kind": "会えた・話せた"},
    "/v1/referrals/{referral_id}/decline": {"reason": "サンプル: 対象外"},
    "/v1/referrals/{referral_id}/fail": {"reason": "サンプル: 連絡が取れない"},
    "/v1/referrals/{referral_id}/cancel": {"reason": "サンプル: 取り下げ"},
}
# Query parameters a read cannot do without.
PARAMS: dict[str, dict[str, str]] = {
    "/v1/cases/search": {"q": "{case_number}"},
    "/v1/referrals/disclosures": {"case_id": "{case_id}"},
    "/v1/reads": {"reader_id": "csw-chubu-1"},
}


def _rows() -> dict[tuple[str, str, str], dict[str, str]]:
    rows = {}
    for line in MATRIX.strip().splitlines():
        service, method, path, *statuses = line.split()
        assert len(statuses) == len(COLUMNS), line
        rows[(service, method, path)] = dict(zip(COLUMNS, statuses, strict=True))
    return rows


def _cell(response: httpx.Response) -> str:
    """The status, and "e" after a 200 whose list came back empty (nothing of anyone else's)."""
    if response.status_code != 200 or "json" not in response.headers.get("content-type", ""):
        return str(response.status_code)
    body = response.json()
    items = body.get("items") if isinstance(body, dict) else body
    return "200e" if isinstance(items, list) and not items else "200"


def _request(method: str, path: str, known: dict[str, str]) -> dict[str, Any]:
    url = path.format(**known)
    if method == "GET":
        return {"method": method, "url": url, "params": {k: v.format(**known) for k, v in PARAMS.get(path, {}).items()}}
    if path == "/v1/consultations":
        from tests.support.seeded import EXAMPLE

        return {"method": method, "url": url, "json": EXAMPLE}
    if path == "/v1/cases/assignments":
        body = {"coordinator_id": "csw-chubu-2", "items": [{"case_id": known["case_id"], "version": STALE}]}
        return {"method": method, "url": url, "json": body}
    body = {k: _formatted(v, known) for k, v in BODIES.get(path, {}).items()}
    versioned = path.startswith(("/v1/cases/", "/v1/referrals/", "/v1/conferences/"))
    return {"method": method, "url": url, "json": {**body, "version": STALE} if versioned else body}


def _formatted(value: Any, known: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**known)
    if isinstance(value, list):
        return [_formatted(v, known) for v in value]
    return value


def _headers(settings: Settings, column: str) -> dict[str, str]:
    caller = COLUMNS[column]
    return bearer(settings, caller[0], caller[1], caller[2]) if caller else {}


async def test_every_operation_answers_every_caller_as_the_matrix_says(make_settings) -> None:
    settings = make_settings()
    expected = _rows()
    async with (
        running_service("intake", settings) as intake,
        running_service("case", settings) as case,
        running_service("referral", settings) as referral,
        running_service("notify", settings) as notify,
    ):
        clients: dict[str, httpx.AsyncClient] = {"intake": intake, "case": case, "referral": referral, "notify": notify}
        seeded = await seed_one_referral(clients, settings)
        known = {name: values[0] for name, values in seeded.items()}
        seen = await case.get(f"/v1/cases/{known['case_id']}", headers=_headers(settings, "coord"))
        known |= {
            "case_number": seen.json()["case_number"],
            "offer_id": known["case_id"],
            "delivery_id": UNKNOWN_ID,
            "plan_id": UNKNOWN_ID,
            "approval_id": UNKNOWN_ID,
            "issue_id": UNKNOWN_ID,
            "member_id": UNKNOWN_ID,
            "task_id": UNKNOWN_ID,
            "action": "accept",
        }
        conference = await case.post(
            "/v1/conferences",
            json={k: _formatted(v, known) for k, v in CONFERENCE.items()},
            headers=_headers(settings, "coord"),
        )
        assert conference.status_code == 201, conference.text
        known["conference_id"] = conference.json()["conference_id"]
        operations = {
            (service, method.upper(), path)
            for service in SERVICES
            for path, item in clients[service].app.openapi()["paths"].items()  # type: ignore[attr-defined]
            for method in item
        }
        assert operations == set(expected), (
            f"operations without a row: {sorted(operations - set(expected))}; "
            f"rows without an operation: {sorted(set(expected) - operations)}"
        )
        wrong, observed = [], []
        # Operations that create something go last, so "200e" (nothing of anyone else's) stays true.
        for (service, method, path), cells in sorted(expected.items(), key=lambda row: "201" in row[1].values()):
            got = []
            for column, status in cells.items():
                response = await clients[service].request(
                    **_request(method, path, known), headers=_headers(settings, column)
                )
                got.append(_cell(response))
                # "200": allowed (what it shows may still be on its way); "200e": must be empty.
                if got[-1] != status and not (status == "200" and got[-1] == "200e"):
                    wrong.append(f"{service} {method} {path} as {column}: {got[-1]}, expected {status}")
            observed.append(f"{service:8} {method:4} {path:51} " + " ".join(f"{c:4}" for c in got).rstrip())
    # The observed matrix in MATRIX's own layout, to compare by eye when a cell is wrong.
    assert not wrong, "\n".join(wrong) + "\n\nobserved:\n" + "\n".join(observed)
