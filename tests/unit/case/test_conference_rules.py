"""Case conference rules: every move of a meeting and of a task (each illegal one
refused), who reads and writes the minutes, owners of tasks, dates, the accounts at the
table (known to the service, not disabled), and what a 支援会議 may share without consent."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import product

import pytest

from services.case.domain import conferences as rules
from shared.access import AccessRegistry
from shared.errors import Conflict, InvalidInput

TODAY = date(2026, 12, 3)
MEETING_STATES = (rules.PLANNED, rules.HELD, rules.MINUTES_RECORDED, rules.CANCELLED)
LEGAL = {
    (rules.PLANNED, rules.HELD),
    (rules.PLANNED, rules.CANCELLED),
    (rules.HELD, rules.MINUTES_RECORDED),
    (rules.MINUTES_RECORDED, rules.MINUTES_RECORDED),
}
TASK_STATES = (rules.OPEN, rules.DONE, rules.TASK_CANCELLED)
TASK_LEGAL = {(rules.OPEN, rules.DONE), (rules.OPEN, rules.TASK_CANCELLED)}
AUDIENCE = rules.Audience(
    accounts=frozenset({"csw-seibu-1", "hotnet-3"}),
    agencies=frozenset({"school-1"}),
    coordinators=frozenset({"csw-chubu-1"}),
)


@pytest.mark.parametrize(("start", "to"), sorted(LEGAL))
def test_a_meeting_moves_forward(start: str, to: str) -> None:
    assert rules.move(start, to) == to


@pytest.mark.parametrize(("start", "to"), sorted(set(product(MEETING_STATES, MEETING_STATES)) - LEGAL))
def test_every_other_meeting_move_is_refused(start: str, to: str) -> None:
    with pytest.raises(Conflict):
        rules.move(start, to)


@pytest.mark.parametrize(("start", "to"), sorted(TASK_LEGAL))
def test_an_open_task_is_done_or_cancelled(start: str, to: str) -> None:
    assert rules.move_task(start, to) == to


@pytest.mark.parametrize(("start", "to"), sorted(set(product(TASK_STATES, TASK_STATES)) - TASK_LEGAL))
def test_every_other_task_move_is_refused(start: str, to: str) -> None:
    with pytest.raises(Conflict):
        rules.move_task(start, to)


def test_unknown_kind_and_status_are_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        rules.check_kind("総会")
    assert refused.value.field == "kind"
    with pytest.raises(Conflict):
        rules.move("unknown", rules.HELD)


@pytest.mark.parametrize(
    ("role", "scope", "subject", "reads"),
    [
        ("supervisor", "city", "sv-1", True),
        ("coordinator", "西部", "csw-seibu-1", True),  # a participant from another area
        ("coordinator", "中部", "csw-chubu-1", True),  # the coordinator of a case discussed
        ("coordinator", "中部", "csw-chubu-2", False),  # the same area, neither
        ("coordinator", "南部", "csw-nanbu-1", False),
        ("agency", "school-1", "school-1", True),
        ("agency", "hc-1", "hc-1", False),
        ("reporter", "hotnet-3", "hotnet-3", True),  # a helper at the table reads by account
        ("reporter", "vol-1", "vol-1", False),
    ],
)
def test_minutes_are_for_participants_the_cases_coordinators_and_supervisors(
    role: str, scope: str, subject: str, reads: bool
) -> None:
    assert rules.may_read(role, scope, subject, AUDIENCE) is reads


def test_only_coordinators_of_the_meeting_record_it() -> None:
    assert rules.may_write("coordinator", "csw-seibu-1", AUDIENCE)
    assert rules.may_write("coordinator", "csw-chubu-1", AUDIENCE)
    assert not rules.may_write("coordinator", "csw-chubu-2", AUDIENCE)
    assert not rules.may_write("supervisor", "csw-seibu-1", AUDIENCE)
    assert not rules.may_write("agency", "school-1", AUDIENCE)


def test_a_task_is_closed_by_its_owner_or_a_coordinator_of_the_meeting() -> None:
    assert rules.may_close_task("agency", "school-1", "school-1", "agency", "school-1", AUDIENCE)
    assert not rules.may_close_task("agency", "hc-1", "hc-1", "agency", "school-1", AUDIENCE)
    assert rules.may_close_task("reporter", "hotnet-3", "hotnet-3", "helper", "hotnet-3", AUDIENCE)
    assert not rules.may_close_task("reporter", "vol-1", "vol-1", "helper", "hotnet-3", AUDIENCE)
    assert rules.may_close_task("coordinator", "中部", "csw-chubu-1", "agency", "school-1", AUDIENCE)


def test_a_task_belongs_to_someone_at_the_table() -> None:
    rules.check_owner("agency", "school-1", AUDIENCE)
    rules.check_owner("helper", "hotnet-3", AUDIENCE)
    rules.check_owner("coordinator", "csw-chubu-1", AUDIENCE)
    for kind, owner in (("agency", "hc-1"), ("helper", "vol-1"), ("agency", "hotnet-3")):
        with pytest.raises(InvalidInput) as refused:
            rules.check_owner(kind, owner, AUDIENCE)
        assert refused.value.field == "owner_id"


def test_dates_of_a_meeting_and_a_task() -> None:
    assert rules.check_planned_on(TODAY - timedelta(days=10), TODAY)
    assert rules.check_held_on(TODAY, TODAY) == TODAY
    assert rules.check_due_on(TODAY, TODAY) == TODAY
    for check, day, field in (
        (rules.check_planned_on, TODAY + timedelta(days=400), "held_on"),
        (rules.check_planned_on, date(1999, 12, 31), "held_on"),
        (rules.check_held_on, TODAY + timedelta(days=1), "held_on"),
        (rules.check_due_on, TODAY - timedelta(days=1), "due_on"),
        (rules.check_due_on, TODAY + timedelta(days=400), "due_on"),
    ):
        with pytest.raises(InvalidInput) as refused:
            check(day, TODAY)
        assert refused.value.field == field


def test_members_of_a_meeting_are_bounded() -> None:
    rules.check_members(["c1"], ["a"], [])
    for cases, field in (([], "case_ids"), ([f"c{i}" for i in range(21)], "case_ids")):
        with pytest.raises(InvalidInput) as refused:
            rules.check_members(cases, ["a"], [])
        assert refused.value.field == field
    with pytest.raises(InvalidInput):
        rules.check_members(["c1"], [f"a{i}" for i in range(20)], [f"g{i}" for i in range(11)])
    with pytest.raises(InvalidInput):
        rules.check_discussed("c9", ["c1"], "case_id")


def test_the_accounts_at_the_table_are_accounts_the_service_knows() -> None:
    """The registry tokens are checked against (``shared/access.py``): an account the
    console never told the service about, or a disabled one, is refused on ``accounts``
    naming it; the caller (whose token was accepted) is not asked again."""
    access = AccessRegistry()
    access._grants = {"csw-seibu-1": frozenset({("coordinator", "西部")}), "csw-gone": frozenset()}
    access._disabled = frozenset({"csw-gone"})

    def check(accounts: list[str]) -> None:
        rules.check_accounts(accounts, access.knows, access.is_disabled, caller="dev-subject")

    check(["dev-subject", "csw-seibu-1"])
    for stranger, said in (("csw-nobody", "登録されていません"), ("csw-gone", "利用停止")):
        with pytest.raises(InvalidInput) as refused:
            check(["dev-subject", "csw-seibu-1", stranger])
        assert refused.value.field == "accounts"
        assert f"「{stranger}」" in str(refused.value) and said in str(refused.value)


def test_a_support_meeting_shares_personal_fields_under_its_confidentiality() -> None:
    fields = ["person_name", "household", "categories"]
    assert rules.check_meeting_share(rules.SUPPORT_MEETING, fields, "同意なし", None) == fields
    assert rules.share_ground(rules.SUPPORT_MEETING, "同意なし", None) == rules.CONFIDENTIALITY_GROUND
    assert rules.share_ground(rules.SUPPORT_MEETING, "同意あり", None) == rules.CONFIDENTIALITY_GROUND


def test_another_meeting_shares_under_the_cases_own_consent_or_ground() -> None:
    with pytest.raises(InvalidInput) as refused:
        rules.check_meeting_share("ケース会議", ["person_name"], "同意なし", None)
    assert refused.value.field == "share"
    assert rules.check_meeting_share("ケース会議", ["categories"], "同意なし", None) == ["categories"]
    assert rules.check_meeting_share("ケース会議", ["person_name"], "同意あり", None) == ["person_name"]
    assert rules.share_ground("ケース会議", "同意あり", None) is None
    assert rules.share_ground("地区推進会議", "同意なし", "生命の危険") == "生命の危険"
    with pytest.raises(InvalidInput):
        rules.check_meeting_share(rules.SUPPORT_MEETING, ["address"], "同意あり", None)
