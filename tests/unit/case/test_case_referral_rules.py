"""Referral rules from the case's side: sharing and order-independent status."""

from __future__ import annotations

import itertools

import pytest

from services.case.domain.referrals import RANK, CaseFacts, check_share, shared_values, supersedes
from shared.errors import InvalidInput


def _final(moves: list[tuple[str, str]]) -> str:
    status, event_id = "requested", None
    for new_status, new_id in moves:
        if supersedes(new_status, new_id, status, event_id):
            status, event_id = new_status, new_id
    return status


@pytest.mark.parametrize(
    "order",
    list(
        itertools.permutations(
            [("received", "01A"), ("acknowledged", "01B"), ("accepted", "01C"), ("in_progress", "01D")]
        )
    ),
)
def test_status_is_the_same_whatever_the_arrival_order(order) -> None:
    assert _final(list(order)) == "in_progress"


def test_status_never_moves_back() -> None:
    assert _final([("accepted", "01C"), ("received", "01A")]) == "accepted"
    assert not supersedes("received", "09Z", "acknowledged", "01A")


def test_equal_ranks_go_to_the_later_event() -> None:
    assert _final([("declined", "02"), ("accepted", "01")]) == "declined"
    assert _final([("accepted", "01"), ("declined", "02")]) == "declined"
    assert RANK["accepted"] == RANK["declined"]


def test_personal_fields_need_consent_or_a_legal_ground() -> None:
    with pytest.raises(InvalidInput) as raised:
        check_share(["person_name", "age_group"], "未確認", None)
    assert "同意" in raised.value.message and "person_name" in raised.value.message
    with pytest.raises(InvalidInput):
        check_share(["noticed"], "同意なし", "   ")
    assert check_share(["person_name"], "同意あり", None) == ["person_name"]
    assert check_share(["household", "noticed"], "同意なし", "児童虐待の疑い(児童虐待防止法)") == [
        "household",
        "noticed",
    ]
    assert check_share(["age_group", "categories", "age_group"], "未確認", None) == ["age_group", "categories"]


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(InvalidInput) as raised:
        check_share(["phone"], "同意あり", None)
    assert raised.value.field == "share"


def test_only_chosen_values_leave_the_case() -> None:
    facts = CaseFacts(
        person_name="山田",
        age_group="80代",
        approximate_place="1丁目",
        school_district="SD07",
        categories=["8050"],
        household=[{"relation": "長男", "age_group": "50代"}],
        noticed="…",
        urgency="高",
    )
    assert shared_values(facts, ["age_group", "urgency"]) == {"age_group": "80代", "urgency": "高"}
