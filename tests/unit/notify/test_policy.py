"""The follow-up policy (reference/followups.yaml) and the escalation ladder."""

from __future__ import annotations

from datetime import datetime

import pytest
import yaml

from services.notify.domain.policy import FollowupPolicy, PolicyError, Span, ladder_times
from shared.calendar import BusinessCalendar
from shared.clock import JST, as_utc
from shared.settings import PROJECT_ROOT

POLICY = FollowupPolicy.from_mapping(yaml.safe_load((PROJECT_ROOT / "reference" / "followups.yaml").read_text()))
CAL = BusinessCalendar()


def jst(*args: int) -> datetime:
    return as_utc(datetime(*args, tzinfo=JST))


def test_defaults_are_one_three_and_ten_business_days() -> None:
    d = POLICY.deadlines("地域包括支援センター", "通常")
    assert (d.acknowledge, d.decide, d.progress) == (Span(business_days=1), Span(business_days=3),
                                                     Span(business_days=10))


def test_emergency_is_in_hours() -> None:
    d = POLICY.deadlines("地域包括支援センター", "緊急")
    assert d.acknowledge == Span(hours=4) and d.decide == Span(hours=24)
    assert d.escalate_to_coordinator == Span(hours=2)


def test_most_specific_wins_field_by_field() -> None:
    assert POLICY.deadlines("NPO", "通常").decide == Span(business_days=5)       # kind
    assert POLICY.deadlines("NPO", "高").decide == Span(business_days=2)        # urgency beats kind
    child = POLICY.deadlines("児童相談所", "高")
    assert child.acknowledge == Span(hours=24)                                  # kind + urgency
    assert child.decide == Span(business_days=2)
    assert POLICY.deadlines("unknown kind", None).acknowledge == Span(business_days=1)


def test_ladder_over_a_holiday_weekend() -> None:
    d = POLICY.deadlines("地域包括支援センター", "通常")
    due = d.acknowledge.after(jst(2026, 11, 20, 10, 0), CAL)  # Friday; Monday is a holiday
    assert ladder_times(d, due, CAL) == [jst(2026, 11, 25, 0, 0), jst(2026, 11, 26, 0, 0), jst(2026, 11, 27, 0, 0)]


def test_emergency_ladder_in_hours() -> None:
    d = POLICY.deadlines("保健所", "緊急")
    sent = jst(2026, 11, 21, 20, 0)  # Saturday evening
    due = d.acknowledge.after(sent, CAL)
    assert ladder_times(d, due, CAL) == [jst(2026, 11, 22, 0, 0), jst(2026, 11, 22, 2, 0), jst(2026, 11, 22, 4, 0)]


def test_calendar_by_name_falls_back_to_japan_public() -> None:
    assert POLICY.calendar("jp-public").year_end_closure == ((12, 29), (1, 3))
    assert POLICY.calendar("no-such-calendar") == POLICY.calendar("jp-public")


@pytest.mark.parametrize("raw, message", [
    ({"default": {"acknowledge": {"business_days": 1}}}, "must set every one"),
    ({"default": {}, "extra": 1}, "unknown sections"),
    ({"default": {k: {"business_days": 0} for k in ("acknowledge", "decide", "progress",
                                                   "escalate_to_coordinator", "escalate_to_supervisor")}},
     "integer ≥ 1"),
    ({"default": {k: {"days": 1} for k in ("acknowledge", "decide", "progress",
                                          "escalate_to_coordinator", "escalate_to_supervisor")}}, "business_days"),
])
def test_bad_policy_is_refused_with_where(raw: dict, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        FollowupPolicy.from_mapping(raw)


def test_unknown_step_in_override_is_refused() -> None:
    raw = yaml.safe_load((PROJECT_ROOT / "reference" / "followups.yaml").read_text())
    raw["urgency"]["緊急"]["acknowlege"] = {"hours": 1}
    with pytest.raises(PolicyError, match="urgency.緊急"):
        FollowupPolicy.from_mapping(raw)
