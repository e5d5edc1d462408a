"""A meeting's table and shares over HTTP (intake and case on one clock): the accounts at
the table are accounts the case service knows from the console's ``account.*`` events —
a stranger is a 422 naming the field and the account — and a share about one household
member is checked and recorded under that member's own consent where it differs from
the case's, either way round (a ケース会議 shares personal fields under consent only)."""

from __future__ import annotations

from typing import Any

import httpx
from case_helpers import account_created, case_of, consultation, coordinator, known_account, submit

from shared.clock import FrozenClock
from shared.settings import Settings
from tests.integration.notify.notify_support import jst, publish
from tests.support.services import running_service

WEST = "csw-seibu-1"


async def _post(
    case: httpx.AsyncClient, path: str, headers: dict[str, str], body: dict[str, Any], expected: int
) -> Any:
    answer = await case.post(path, headers=headers, json=body)
    assert answer.status_code == expected, answer.text
    return answer.json()


async def _household_case(intake: httpx.AsyncClient, case: httpx.AsyncClient, settings: Settings) -> dict[str, Any]:
    """A 中部 case without consent, assigned, with a son who consents himself."""
    chubu = coordinator(settings)
    household = [{"relation": "長男", "age_group": "50代"}, {"relation": "孫", "age_group": "10代"}]
    body = consultation(household=household, consent="同意なし")
    opened = await case_of(case, settings, await submit(intake, settings, body), chubu)
    path = f"/v1/cases/{opened['id']}"
    version = (
        await _post(
            case, f"{path}/assignment", chubu, {"coordinator_id": "csw-chubu-1", "version": opened["version"]}, 200
        )
    )["version"]
    son = next(m["id"] for m in opened["household"] if m["relation"] == "長男")
    needs = {"categories": ["ひきこもり"], "consent": "同意あり", "version": version}
    await _post(case, f"{path}/household/members/{son}/needs", chubu, needs, 200)
    answer = await case.get(path, headers=chubu)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def test_the_table_is_known_accounts_and_a_members_share_goes_by_their_own_consent(
    make_settings, database_backend
) -> None:
    settings = make_settings()
    clock = FrozenClock(jst(2026, 12, 3, 10, 0))
    chubu = coordinator(settings)
    async with running_service("intake", settings, clock) as intake, running_service("case", settings, clock) as case:
        detail = await _household_case(intake, case, settings)
        case_id = detail["id"]
        members = {m["relation"]: m["id"] for m in detail["household"]}
        meeting = {
            "kind": "ケース会議",
            "title": "サンプル: 中部 ケース会議",
            "held_on": "2026-12-03",
            "case_ids": [case_id],
        }

        # An account the console never told the case service about: refused, named.
        refused = await _post(case, "/v1/conferences", chubu, {**meeting, "accounts": [WEST]}, 422)
        assert refused["errors"][0]["loc"] == ["accounts"] and f"「{WEST}」" in refused["detail"], refused
        await publish(settings, account_created(WEST, "西部", clock))
        await known_account(case, clock, WEST)
        planned = await _post(case, "/v1/conferences", chubu, {**meeting, "accounts": [WEST]}, 201)
        conference = f"/v1/conferences/{planned['conference_id']}"
        version = (await _post(case, f"{conference}/held", chubu, {"version": 1}, 200))["version"]
        shown = (await case.get(conference, headers=chubu)).json()
        assert shown["accounts"] == sorted(["csw-chubu-1", WEST])
        # Whom a share may be about: offered to a writer who may see the case, not to one who may not.
        assert [(m["id"], m["relation"]) for m in shown["cases"][0]["members"]] == [
            (m["id"], m["relation"]) for m in detail["household"]
        ]
        west = (await case.get(conference, headers=coordinator(settings, "西部", WEST))).json()
        assert west["may_write"] is True and west["cases"][0]["members"] is None

        def share(fields: list[str], member: str | None, version: int) -> dict[str, Any]:
            return {"case_id": case_id, "fields": fields, "member_id": member, "version": version}

        # The case has no consent: its person's name is not shared at a ケース会議 ...
        refused = await _post(case, f"{conference}/shares", chubu, share(["person_name"], None, version), 422)
        assert refused["errors"][0]["loc"] == ["share"], refused
        # ... the son consented himself: his is, recorded under his consent.
        version = (
            await _post(case, f"{conference}/shares", chubu, share(["age_group"], members["長男"], version), 200)
        )["version"]
        # The grandchild has no consent of their own: the case's (none) stands.
        await _post(case, f"{conference}/shares", chubu, share(["person_name"], members["孫"], version), 422)
        stranger = share(["categories"], "01JZZZZZZZZZZZZZZZZZZZZZZZ", version)
        assert (await _post(case, f"{conference}/shares", chubu, stranger, 422))["errors"][0]["loc"] == ["member_id"]

        # The other way round: the case consents, the grandchild does not.
        case_version = (await case.get(f"/v1/cases/{case_id}", headers=chubu)).json()["version"]
        consented = {"consent": "同意あり", "version": case_version}
        case_version = (await _post(case, f"/v1/cases/{case_id}/consent", chubu, consented, 200))["version"]
        needs = {"categories": ["ヤングケアラー"], "consent": "同意なし", "version": case_version}
        await _post(case, f"/v1/cases/{case_id}/household/members/{members['孫']}/needs", chubu, needs, 200)
        refused = await _post(case, f"{conference}/shares", chubu, share(["person_name"], members["孫"], version), 422)
        assert "同意なし" in refused["detail"], refused
        version = (await _post(case, f"{conference}/shares", chubu, share(["person_name"], None, version), 200))[
            "version"
        ]

        minutes = (await case.get(conference, headers=chubu)).json()
        assert [
            (d["field"], d["member_id"], d["member_relation"], d["consent"], d["legal_ground"])
            for d in minutes["disclosures"]
        ] == [("age_group", members["長男"], "長男", "同意あり", None), ("person_name", None, None, "同意あり", None)]
        timeline = (await case.get(f"/v1/cases/{case_id}/timeline", headers=chubu)).json()["items"]
        shared = [e for e in timeline if e["type"] == "case.conference_shared"]
        assert len(shared) == 2
