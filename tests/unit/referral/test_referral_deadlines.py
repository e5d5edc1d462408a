"""Response deadlines from the city's follow-up policy, in Japan business days."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.referral.domain.deadlines import response_deadlines
from shared.clock import JST
from shared.followups import FollowupPolicy
from shared.reference import load_reference_data
from shared.settings import PROJECT_ROOT

REFERENCE = PROJECT_ROOT / "reference"


def jst(*args: int) -> datetime:
    return datetime(*args, tzinfo=JST).astimezone(UTC)


@pytest.fixture(scope="module")
def policy() -> FollowupPolicy:
    return load_reference_data(REFERENCE).followups


def test_a_friday_referral_before_a_holiday_weekend(policy) -> None:
    # Fri 2026-11-20 16:00; Mon 11-23 is 勤労感謝の日: acknowledge by end of Tue 11-24.
    due = response_deadlines(
        policy, jst(2026, 11, 20, 16), agency_kind="地域包括支援センター", urgency="通常", calendar="jp-public"
    )
    assert due.acknowledge_by == jst(2026, 11, 25, 0)
    assert due.decide_by == jst(2026, 11, 27, 0)  # Tue, Wed, Thu → end of Thursday


def test_the_year_end_closure_is_skipped(policy) -> None:
    due = response_deadlines(policy, jst(2026, 12, 28, 10), agency_kind="NPO", urgency="通常", calendar="jp-public")
    assert due.acknowledge_by == jst(2027, 1, 5, 0)  # 12/29–1/3 closed: Mon 1/4 is the first business day


def test_emergencies_count_clock_hours(policy) -> None:
    start = jst(2026, 11, 21, 22)  # a Saturday night
    due = response_deadlines(policy, start, agency_kind="地域包括支援センター", urgency="緊急", calendar="jp-public")
    assert (due.acknowledge_by - start).total_seconds() == 4 * 3600
    assert (due.decide_by - start).total_seconds() == 24 * 3600


def test_the_deadlines_shown_are_the_ones_notify_chases(policy) -> None:
    start = jst(2026, 11, 20, 16)
    due = response_deadlines(policy, start, agency_kind="NPO", urgency="高", calendar="jp-public")
    spans = policy.deadlines("NPO", "高")
    calendar = policy.calendar("jp-public")
    assert due.acknowledge_by == spans.acknowledge.after(start, calendar)
    assert due.decide_by == spans.decide.after(start, calendar)
