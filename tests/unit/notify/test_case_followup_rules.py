"""Nothing left untriaged, in notify: whom an unassigned or uncontacted case's reminders
reach, and when each rung fires on the business calendar."""

from __future__ import annotations

from datetime import datetime

import pytest

from services.notify.domain.policy import case_ladder_times
from services.notify.domain.routing import ASSIGN, CONTACT, case_escalation_notices, decision_notice
from shared.calendar import JAPAN_PUBLIC
from shared.clock import JST, as_utc
from shared.followup_sections import CaseDeadlines
from shared.spans import Span


def jst(*parts: int) -> datetime:
    return as_utc(datetime(*parts, tzinfo=JST))  # type: ignore[misc]


def test_an_unassigned_case_reminds_its_areas_coordinators_then_the_supervisor() -> None:
    assert [(str(n.recipient), n.kind) for n in case_escalation_notices(ASSIGN, 1, "中部")] == [
        ("coordinator:中部", "case_unassigned_reminder")
    ]
    assert [(str(n.recipient), n.kind) for n in case_escalation_notices(ASSIGN, 2, "中部")] == [
        ("supervisor:city", "case_unassigned_escalation_supervisor")
    ]


def test_an_unassigned_case_in_the_city_wide_queue_reminds_every_area() -> None:
    notices = case_escalation_notices(ASSIGN, 1, "市全域", ("中部", "西部"))
    assert [str(n.recipient) for n in notices] == ["coordinator:中部", "coordinator:西部"]


def test_an_uncontacted_case_reminds_its_coordinator_only() -> None:
    assert [(str(n.recipient), n.kind) for n in case_escalation_notices(CONTACT, 1, "西部")] == [
        ("coordinator:西部", "case_contact_reminder")
    ]
    with pytest.raises(ValueError):
        case_escalation_notices(CONTACT, 2, "西部")
    with pytest.raises(ValueError):
        case_escalation_notices(ASSIGN, 3, "西部")


def test_a_decision_is_asked_of_the_cases_coordinator() -> None:
    assert (str(decision_notice("中部").recipient), decision_notice("中部").kind) == (
        "coordinator:中部",
        "case_decision_needed",
    )


SPANS = CaseDeadlines()  # assign 4 business hours, first contact 2 business days, supervisor 4 business hours


def test_the_assignment_ladder_fires_in_business_hours_over_a_holiday_weekend() -> None:
    received = jst(2026, 11, 20, 16, 0)  # Friday; Monday 11-23 is a holiday
    due = SPANS.assign.after(received, JAPAN_PUBLIC)
    assert due == jst(2026, 11, 24, 11, 15)
    assert case_ladder_times(ASSIGN, SPANS, due, JAPAN_PUBLIC) == [due, jst(2026, 11, 24, 15, 15)]


def test_the_first_contact_reminder_comes_at_the_next_opening_never_on_a_closed_day() -> None:
    assigned = jst(2026, 11, 19, 10, 0)  # Thursday
    due = SPANS.first_contact.after(assigned, JAPAN_PUBLIC)  # Friday, then Tuesday (Monday a holiday)
    assert due == jst(2026, 11, 25, 0, 0)
    assert case_ladder_times(CONTACT, SPANS, due, JAPAN_PUBLIC) == [jst(2026, 11, 25, 8, 30)]
    friday_end = SPANS.first_contact.after(jst(2026, 11, 18, 10, 0), JAPAN_PUBLIC)
    assert friday_end == jst(2026, 11, 21, 0, 0)
    assert case_ladder_times(CONTACT, SPANS, friday_end, JAPAN_PUBLIC) == [jst(2026, 11, 24, 8, 30)]


def test_an_urgent_case_is_chased_by_the_clock_day_or_night() -> None:
    urgent = CaseDeadlines(assign=Span(hours=1), escalate_to_supervisor=Span(hours=1))
    received = jst(2026, 11, 21, 22, 0)  # Saturday night
    due = urgent.assign.after(received, JAPAN_PUBLIC)
    assert case_ladder_times(ASSIGN, urgent, due, JAPAN_PUBLIC) == [jst(2026, 11, 21, 23, 0), jst(2026, 11, 22, 0, 0)]
