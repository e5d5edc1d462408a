"""Issue 19, item 2: plausible data in case work (shared/plausible.py) — a contact dated
year 1, before the case was raised or in the future, whitespace-only text and an age
group outside the reference list are refused with a 422 naming the field, in Japanese;
nothing is written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from case_helpers import case_of, consultation, coordinator, detail, submit

from shared.clock import FrozenClock
from tests.support.services import running_service

START = datetime(2026, 12, 3, 0, 0, tzinfo=UTC)  # 09:00 JST


def _field(answer, field: str) -> str:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    locs = [(e["loc"][1:] if e["loc"][0] == "body" else e["loc"], e["msg"]) for e in answer.json()["errors"]]
    errors = {".".join(str(p) for p in loc): msg for loc, msg in locs}
    assert field in errors, errors
    return errors[field]


async def test_implausible_case_records_are_refused(make_settings, database_backend) -> None:
    settings = make_settings()
    clock = FrozenClock(START)
    chubu = coordinator(settings)
    async with (
        running_service("intake", settings, clock) as intake,
        running_service("case", settings, clock) as case,
    ):
        reference = await submit(intake, settings, consultation(household=[]))
        opened = await case_of(case, settings, reference, chubu)
        case_id, version = opened["id"], opened["version"]
        clock.advance(timedelta(hours=2))  # 11:00 JST

        def contact(when: str | None, **changes: str) -> dict:
            body = {"contacted_at": when, "channel": "電話", "whom": "本人", "outcome": "話せた", "version": version}
            return {**body, **changes}

        url = f"/v1/cases/{case_id}/contacts"
        year_one = await case.post(url, headers=chubu, json=contact("0001-01-01T00:00:00Z"))
        assert "2000年01月01日より前" in _field(year_one, "contacted_at")
        before = await case.post(url, headers=chubu, json=contact("2026-12-03T08:00:00+09:00"))
        assert "ケースの受付" in _field(before, "contacted_at")
        future = await case.post(url, headers=chubu, json=contact("2026-12-03T11:06:00+09:00"))
        assert "未来" in _field(future, "contacted_at")
        blank = await case.post(url, headers=chubu, json=contact(None, whom="   ", outcome="\u3000\n"))
        assert "空白" in _field(blank, "whom") and "空白" in _field(blank, "outcome")
        assert (await detail(case, chubu, case_id))["version"] == version  # nothing written

        # Within the skew, and a time without a zone is Japan time.
        ahead = await case.post(url, headers=chubu, json=contact("2026-12-03T11:04:00+09:00"))
        assert ahead.status_code == 201, ahead.text
        version = ahead.json()["version"]
        typed = await case.post(url, headers=chubu, json=contact("2026-12-03T09:30"))
        assert typed.status_code == 201, typed.text
        version = typed.json()["version"]
        contacts = (await detail(case, chubu, case_id))["contacts"]
        assert sorted(datetime.fromisoformat(c["contacted_at"]) for c in contacts) == [
            datetime(2026, 12, 3, 0, 30, tzinfo=UTC),
            datetime(2026, 12, 3, 2, 4, tzinfo=UTC),
        ]

        note = await case.post(f"/v1/cases/{case_id}/notes", headers=chubu, json={"body": " \t ", "version": version})
        assert "空白" in _field(note, "body")
        members = f"/v1/cases/{case_id}/household/members"
        eldest = {"relation": "長男", "version": version}
        odd_age = await case.post(members, headers=chubu, json={**eldest, "age_group": "999代"})
        assert "999代" in _field(odd_age, "age_group")
        blank_relation = await case.post(members, headers=chubu, json={"relation": "  ", "version": version})
        _field(blank_relation, "relation")
        member = await case.post(members, headers=chubu, json={**eldest, "age_group": "50代"})
        assert member.status_code == 201, member.text
        version = member.json()["version"]

        refer = {"agency_id": "hc-3", "purpose": " ", "version": version}
        referral = await case.post(f"/v1/cases/{case_id}/referrals", headers=chubu, json=refer)
        _field(referral, "purpose")
