"""Community issues (地域課題): every status move, legal and illegal, and the rules for
gathering unmet needs into an issue."""

from __future__ import annotations

from itertools import product
from typing import Any

import pytest

from services.case.domain import community as rules
from shared.errors import Conflict, InvalidInput

LEGAL = {
    (rules.RAISED, rules.DISCUSSED),
    (rules.DISCUSSED, rules.DEVELOPING),
    (rules.DEVELOPING, rules.ADDRESSED),
}


@pytest.mark.parametrize(("current", "target"), sorted(LEGAL))
def test_a_legal_move_is_made(current: str, target: str) -> None:
    assert rules.move(current, target) == target


@pytest.mark.parametrize(("current", "target"), [m for m in product(rules.STATUSES, rules.STATUSES) if m not in LEGAL])
def test_every_other_move_is_refused(current: str, target: str) -> None:
    with pytest.raises(Conflict) as refused:
        rules.move(current, target)
    assert refused.value.extensions["current_status"] == current


def test_an_unknown_status_is_bad_input_naming_the_field() -> None:
    with pytest.raises(InvalidInput) as refused:
        rules.move(rules.RAISED, "done")
    assert refused.value.field == "to"


def test_an_unknown_category_is_refused() -> None:
    assert rules.check_category("孤立", ["孤立"]) == "孤立"
    with pytest.raises(InvalidInput) as refused:
        rules.check_category("未知", ["孤立"])
    assert refused.value.field == "category"


def _need(id_: str, case_id: str, area: str = "中部", issue_id: str | None = None) -> dict[str, Any]:
    return {"id": id_, "case_id": case_id, "area": area, "issue_id": issue_id}


def test_needs_from_two_cases_of_the_area_gather_into_an_issue() -> None:
    rules.check_gathering("中部", [_need("n1", "c1"), _need("n2", "c2")], ["n1", "n2"])


@pytest.mark.parametrize(
    ("needs", "asked", "error"),
    [
        ([_need("n1", "c1"), _need("n2", "c1")], ["n1", "n2"], InvalidInput),  # one case
        ([_need("n1", "c1")], ["n1", "n9"], InvalidInput),  # not found
        ([_need("n1", "c1"), _need("n2", "c2", area="西部")], ["n1", "n2"], InvalidInput),  # other area
        ([_need("n1", "c1"), _need("n2", "c2", issue_id="i1")], ["n1", "n2"], Conflict),  # taken
    ],
)
def test_a_gathering_that_breaks_a_rule_is_refused(needs: list[dict[str, Any]], asked: list[str], error: type) -> None:
    with pytest.raises(error):
        rules.check_gathering("中部", needs, asked)


def test_needs_are_added_to_an_open_issue_only() -> None:
    rules.check_adding(rules.DEVELOPING, "中部", [_need("n3", "c3")], ["n3"])
    with pytest.raises(Conflict):
        rules.check_adding(rules.ADDRESSED, "中部", [_need("n3", "c3")], ["n3"])
    with pytest.raises(Conflict):
        rules.check_adding(rules.RAISED, "中部", [_need("n3", "c3", issue_id="i2")], ["n3"])
