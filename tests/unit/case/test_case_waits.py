"""The queue's waits (未割当 in business hours, 初回接触待ち and 要判断 in business days)
and when a case's coordinator owes a decision after its referrals."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from services.case.domain.waits import all_ended, decision_becomes_due, waits_of
from shared.calendar import JAPAN_PUBLIC
from shared.clock import JST, as_utc


def jst(*parts: int) -> datetime:
    return as_utc(datetime(*parts, tzinfo=JST))  # type: ignore[misc]


def case(**values: Any) -> dict[str, Any]:
    return {
        "status": "受付",
        "coordinator_id": None,
        "merged_into": None,
        "opened_at": jst(2026, 11, 20, 16, 1),
        "received_at": jst(2026, 11, 20, 16, 0),
        "assigned_at": None,
        "first_contact_at": None,
        "decision_needed_at": None,
        **values,
    }


def texts(c: dict[str, Any], now: datetime) -> list[str]:
    return [w.text for w in waits_of(c, now, JAPAN_PUBLIC)]


def test_an_unassigned_case_waits_in_business_hours_from_intakes_receipt() -> None:
    # Friday 16:00 → Tuesday 11:15 over the weekend and the holiday Monday: 4 business hours.
    assert texts(case(), jst(2026, 11, 24, 11, 15)) == ["未割当 4営業時間"]
    assert texts(case(), jst(2026, 11, 23, 23, 0)) == ["未割当 1営業時間"]
    older = case(received_at=None)  # before the receipt was kept: from the opening
    assert waits_of(older, jst(2026, 11, 20, 17, 0), JAPAN_PUBLIC)[0].since == jst(2026, 11, 20, 16, 1)


def test_an_assigned_case_waits_in_business_days_for_its_first_contact() -> None:
    assigned = case(status="対応中", coordinator_id="co-1", assigned_at=jst(2026, 11, 20, 17, 0))
    assert texts(assigned, jst(2026, 11, 20, 17, 30)) == ["初回接触待ち 0営業日"]
    assert texts(assigned, jst(2026, 11, 25, 9, 0)) == ["初回接触待ち 2営業日"]
    assert texts({**assigned, "first_contact_at": jst(2026, 11, 24, 9, 0)}, jst(2026, 11, 25, 9, 0)) == []


def test_a_case_owing_a_decision_shows_since_when() -> None:
    waiting = case(
        status="つなぎ中",
        coordinator_id="co-1",
        first_contact_at=jst(2026, 11, 20, 17, 0),
        decision_needed_at=jst(2026, 11, 24, 10, 0),
    )
    assert texts(waiting, jst(2026, 11, 26, 10, 0)) == ["要判断 2営業日"]


def test_a_closed_or_merged_case_waits_for_nothing() -> None:
    assert texts(case(status="終結"), jst(2026, 11, 24, 11, 0)) == []
    assert texts(case(merged_into="01H"), jst(2026, 11, 24, 11, 0)) == []


def test_all_ended_needs_referrals_and_none_running() -> None:
    assert not all_ended([])
    assert all_ended(["declined", "completed", "failed", "cancelled"])
    assert not all_ended(["declined", "accepted"])


OPEN = {"case_status": "つなぎ中", "merged": False, "watching": False}


def test_the_last_referral_ending_makes_a_decision_due() -> None:
    assert decision_becomes_due(**OPEN, before=["requested"], after=["declined"])
    assert decision_becomes_due(**OPEN, before=["completed", "in_progress"], after=["completed", "failed"])


@pytest.mark.parametrize(
    ("overrides", "before", "after"),
    [
        ({}, ["declined", "requested"], ["declined", "accepted"]),  # one still running
        ({}, ["declined"], ["declined"]),  # already owed: not asked twice
        ({}, [], []),  # no referral at all
        ({"case_status": "終結"}, ["requested"], ["declined"]),  # closed: decided
        ({"merged": True}, ["requested"], ["declined"]),  # merged away: the other case decides
        ({"watching": True}, ["requested"], ["completed"]),  # on a watch plan: decided
    ],
)
def test_no_decision_is_asked_otherwise(overrides: dict[str, Any], before: list[str], after: list[str]) -> None:
    assert not decision_becomes_due(**{**OPEN, **overrides}, before=before, after=after)
