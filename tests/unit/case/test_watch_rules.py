"""Watch plans (見守り): when the next check-in is due, and every move the rules refuse —
starting, changing, ending, checking in, and closing or merging a watched case."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from services.case.domain import moves
from services.case.domain import watch as rules
from services.case.domain.moves import CaseState
from shared.calendar import JAPAN_PUBLIC
from shared.clock import JST, as_utc
from shared.errors import Conflict, InvalidInput

OPEN = CaseState(status="見守り", assigned=True, merged_into=None, version=3)
# Friday 2026-11-06 10:00 JST; Monday 11/23 is 勤労感謝の日.
STARTED = as_utc(datetime(2026, 11, 6, 10, 0, tzinfo=JST))


def _end_of(day: date) -> datetime:
    return JAPAN_PUBLIC.end_of_day(day)


def test_a_fortnightly_check_in_is_due_at_the_end_of_the_fourteenth_day() -> None:
    due = rules.Rhythm(14, "days").due_after(STARTED, JAPAN_PUBLIC)
    assert due == _end_of(date(2026, 11, 20))


def test_business_days_skip_the_weekend_and_the_holiday() -> None:
    friday = as_utc(datetime(2026, 11, 20, 16, 0, tzinfo=JST))
    assert rules.Rhythm(1, "business_days").due_after(friday, JAPAN_PUBLIC) == _end_of(date(2026, 11, 24))


def test_the_next_check_in_counts_from_the_latest_and_stops_after_the_last_day() -> None:
    rhythm = rules.Rhythm(14, "days")
    checked = as_utc(datetime(2026, 11, 18, 9, 0, tzinfo=JST))
    assert rules.next_due(rhythm, STARTED, checked, date(2027, 3, 31), JAPAN_PUBLIC) == _end_of(date(2026, 12, 2))
    assert rules.next_due(rhythm, STARTED, checked, date(2026, 12, 1), JAPAN_PUBLIC) is None


@pytest.mark.parametrize(
    ("every", "unit", "field"),
    [(0, "days", "every"), (91, "days", "every"), (61, "business_days", "every"), (7, "weeks", "unit")],
)
def test_a_rhythm_out_of_bounds_is_refused_naming_the_field(every: int, unit: str, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        rules.Rhythm(every, unit).check()
    assert refused.value.field == field


def test_the_last_day_is_today_at_the_earliest_and_a_year_at_the_latest() -> None:
    today = date(2026, 11, 6)
    assert rules.check_until(today, today) == today
    for wrong in (today - timedelta(days=1), today + timedelta(days=367)):
        with pytest.raises(InvalidInput) as refused:
            rules.check_until(wrong, today)
        assert refused.value.field == "until"


def test_a_helper_or_an_agency_must_be_named_and_the_agency_known() -> None:
    rules.check_watcher("coordinator", None, known_agency=False)
    rules.check_watcher("helper", "hotnet-12", known_agency=False)
    rules.check_watcher("agency", "hc-3", known_agency=True)
    for kind, who in (("helper", None), ("agency", None), ("agency", "nowhere")):
        with pytest.raises(InvalidInput):
            rules.check_watcher(kind, who, known_agency=False)


def test_a_plan_starts_only_on_an_open_unmerged_case_without_one() -> None:
    rules.check_start(OPEN, active_plan=False, watcher_kind="coordinator")
    refused = [
        (CaseState("終結", True, None, 3), False, "helper"),  # closed: reopen first
        (CaseState("対応中", True, "01CASE", 3), False, "helper"),  # merged: work on the target
        (OPEN, True, "helper"),  # one running plan at a time
        (CaseState("受付", False, None, 3), False, "coordinator"),  # no coordinator to watch
    ]
    for state, active, kind in refused:
        with pytest.raises(Conflict):
            rules.check_start(state, active_plan=active, watcher_kind=kind)
    rules.check_start(CaseState("受付", False, None, 3), active_plan=False, watcher_kind="helper")


def test_a_change_to_the_coordinator_watching_needs_one_assigned() -> None:
    running = rules.PlanState(rules.ACTIVE, STARTED, date(2027, 3, 31), None)
    rules.check_change(OPEN, running, "coordinator")
    with pytest.raises(Conflict, match="担当"):
        rules.check_change(CaseState("受付", False, None, 3), running, "coordinator")
    with pytest.raises(Conflict, match="変更"):
        rules.check_change(OPEN, rules.PlanState(rules.ENDED, STARTED, date(2027, 3, 31), None), "helper")


@pytest.mark.parametrize("doing", ["変更", "終了", "記録"])
def test_an_ended_plan_is_neither_changed_nor_ended_nor_checked_in(doing: str) -> None:
    running = rules.PlanState(rules.ACTIVE, STARTED, date(2027, 3, 31), None)
    rules.check_active(OPEN, running, doing)
    with pytest.raises(Conflict, match=doing):
        rules.check_active(OPEN, rules.PlanState(rules.ENDED, STARTED, date(2027, 3, 31), None), doing)
    with pytest.raises(Conflict):
        rules.check_active(CaseState("終結", True, None, 3), running, doing)


def test_a_watched_case_is_not_closed_nor_merged_away_until_the_watch_ends() -> None:
    watched = CaseState("見守り", True, None, 3, watching=True)
    with pytest.raises(Conflict, match="見守り"):
        moves.check_status_change(watched, "終結")
    with pytest.raises(Conflict):
        moves.check_not_watched(watched)
    assert "終結" not in moves.allowed_statuses(watched)
    assert "終結" in moves.allowed_statuses(CaseState("見守り", True, None, 3))
    # Where closing with a watch waits for a supervisor, 終結 is offered (the command
    # answers with the approval to request, which ends the watch when granted).
    assert "終結" in moves.allowed_statuses(watched, close_by_approval=True)
    assert moves.allowed_statuses(watched, close_by_approval=True) == moves.allowed_statuses(
        CaseState("見守り", True, None, 3)
    )
    moves.check_status_change(watched, "対応中")
