"""The escalation ladder (notify's rule) on the city's follow-up policy."""

from __future__ import annotations

from datetime import datetime

from services.notify.domain.policy import ladder_times
from shared.calendar import BusinessCalendar
from shared.clock import JST, as_utc
from shared.followups import load_followup_policy
from shared.settings import PROJECT_ROOT

POLICY = load_followup_policy(PROJECT_ROOT / "reference" / "followups.yaml")
CAL = BusinessCalendar()


def jst(*args: int) -> datetime:
    return as_utc(datetime(*args, tzinfo=JST))


def test_ladder_over_a_holiday_weekend() -> None:
    d = POLICY.deadlines("地域包括支援センター", "通常")
    due = d.acknowledge.after(jst(2026, 11, 20, 10, 0), CAL)  # Friday; Monday is a holiday
    assert ladder_times(d, due, CAL) == [jst(2026, 11, 25, 0, 0), jst(2026, 11, 26, 0, 0), jst(2026, 11, 27, 0, 0)]


def test_emergency_ladder_in_hours() -> None:
    d = POLICY.deadlines("保健所", "緊急")
    sent = jst(2026, 11, 21, 20, 0)  # Saturday evening
    due = d.acknowledge.after(sent, CAL)
    assert ladder_times(d, due, CAL) == [jst(2026, 11, 22, 0, 0), jst(2026, 11, 22, 2, 0), jst(2026, 11, 22, 4, 0)]
