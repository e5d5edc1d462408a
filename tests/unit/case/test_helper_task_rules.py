"""Community helpers' tasks: every move and who may make it, every move refused, what a
task may share (its kind's needs, then the referrals' consent gate) and to whom."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.case.domain import helper_tasks as rules
from services.case.domain.moves import CaseState
from shared.errors import Conflict, Forbidden, InvalidInput

STATUSES = (rules.ASSIGNED, rules.ACCEPTED, rules.DECLINED, rules.DONE, rules.CANCELLED)
LEGAL = {
    ("accept", rules.ASSIGNED): rules.ACCEPTED,
    ("decline", rules.ASSIGNED): rules.DECLINED,
    ("done", rules.ACCEPTED): rules.DONE,
    ("cancel", rules.ASSIGNED): rules.CANCELLED,
    ("cancel", rules.ACCEPTED): rules.CANCELLED,
}
DOER = {"accept": "helper", "decline": "helper", "done": "helper", "cancel": "coordinator"}


@pytest.mark.parametrize(("action", "status"), sorted(LEGAL))
def test_the_legal_moves(action: str, status: str) -> None:
    assert rules.move(status, action, DOER[action]) == LEGAL[(action, status)]


@pytest.mark.parametrize(("action", "status"), [(a, s) for a in DOER for s in STATUSES if (a, s) not in LEGAL])
def test_every_other_move_is_refused(action: str, status: str) -> None:
    with pytest.raises(Conflict) as refused:
        rules.move(status, action, DOER[action])
    assert refused.value.extensions["current_status"] == status


@pytest.mark.parametrize("action", sorted(DOER))
@pytest.mark.parametrize("role", ["coordinator", "helper", "supervisor", "agency", "reporter"])
def test_only_the_helper_moves_their_task_and_only_the_coordinator_withdraws_it(action: str, role: str) -> None:
    status = rules.ASSIGNED if action != "done" else rules.ACCEPTED
    if role == DOER[action]:
        rules.move(status, action, role)
    else:
        with pytest.raises(Forbidden):
            rules.move(status, action, role)


def test_an_unknown_move_is_refused() -> None:
    with pytest.raises(InvalidInput):
        rules.move(rules.ASSIGNED, "reopen", "coordinator")


@pytest.mark.parametrize("status", [s for s in STATUSES if s != rules.ACCEPTED])
def test_check_ins_only_on_a_task_taken_on(status: str) -> None:
    rules.check_recordable(rules.ACCEPTED)
    with pytest.raises(Conflict):
        rules.check_recordable(status)


def test_a_task_is_given_on_an_open_case_with_a_coordinator() -> None:
    rules.check_assign(CaseState(status="対応中", assigned=True, merged_into=None, version=2))
    for refused in (
        CaseState(status="受付", assigned=False, merged_into=None, version=2),
        CaseState(status="終結", assigned=True, merged_into=None, version=2),
        CaseState(status="対応中", assigned=True, merged_into="01OTHER", version=2),
    ):
        with pytest.raises(Conflict):
            rules.check_assign(refused)


def test_a_task_goes_to_an_enabled_helper_of_the_case_area() -> None:
    helper = rules.HelperOnFile("suishin-1", "中部", "ほっとネット推進員", False)
    assert rules.check_helper(helper, "suishin-1", "中部") is helper
    for wrong, area in (
        (None, "中部"),
        (rules.HelperOnFile("suishin-1", "中部", "ほっとネット推進員", True), "中部"),
        (helper, "西部"),
    ):
        with pytest.raises(InvalidInput) as refused:
            rules.check_helper(wrong, "suishin-1", area)
        assert refused.value.field == "helper_id"


def test_a_task_shares_only_what_its_kind_needs() -> None:
    assert rules.check_task_share("声かけ", ["age_group", "school_district"], "同意なし", None) == [
        "age_group",
        "school_district",
    ]
    for kind, beyond in (("声かけ", "noticed"), ("見守り", "urgency"), ("声かけ", "categories"), ("同行", "household")):
        with pytest.raises(InvalidInput) as refused:
            rules.check_task_share(kind, [beyond], "同意あり", None)
        assert refused.value.field == "share"


def test_personal_fields_pass_the_referrals_consent_gate() -> None:
    assert rules.check_task_share("見守り", ["person_name"], "同意あり", None) == ["person_name"]
    assert rules.check_task_share("見守り", ["person_name"], "同意なし", "生命の危険") == ["person_name"]
    with pytest.raises(InvalidInput) as refused:
        rules.check_task_share("見守り", ["person_name", "age_group"], "確認中", None)
    assert refused.value.field == "share"


def test_consent_withdrawn_hides_the_personal_fields_at_the_next_read() -> None:
    shared = ["person_name", "approximate_place", "age_group"]
    assert rules.visible_fields(shared, "同意あり", None) == shared
    assert rules.visible_fields(shared, "同意なし", None) == ["age_group"]


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        rules.check_kind("買い物")
    assert refused.value.field == "kind"


def test_the_due_date_is_today_to_half_a_year() -> None:
    today = date(2026, 12, 3)
    assert rules.check_due(None, today) is None
    assert rules.check_due(today, today) == today
    for wrong in (today - timedelta(days=1), today + timedelta(days=181)):
        with pytest.raises(InvalidInput) as refused:
            rules.check_due(wrong, today)
        assert refused.value.field == "due_on"


def test_a_decline_says_why() -> None:
    rules.check_reason("decline", "サンプル: 入院中のため")
    rules.check_reason("done", None)
    for blank in (None, "", "  "):
        with pytest.raises(InvalidInput) as refused:
            rules.check_reason("decline", blank)
        assert refused.value.field == "reason"


def test_registered_helpers_are_counted_by_area_and_kind_without_the_disabled() -> None:
    from types import SimpleNamespace as H

    from services.case.domain.helper_tasks import registered_by_area

    helpers = [
        H(area="中部", kind="ほっとネット推進員", disabled=False),
        H(area="中部", kind="ほっとネット推進員", disabled=True),
        H(area="中部", kind=None, disabled=False),
        H(area="西部", kind="民生委員・児童委員", disabled=False),
    ]
    assert registered_by_area(helpers, ["中部", "南部"]) == {"中部": {"ほっとネット推進員": 1, "その他": 1}, "南部": {}}
