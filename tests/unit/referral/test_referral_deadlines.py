"""Response deadlines from the city's follow-up policy, in Japan business days."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from services.referral.adapters.response_policy import load_response_policy, parse_response_policy
from services.referral.bootstrap import check_calendars
from shared.clock import JST
from shared.reference import ReferenceDataError, load_reference_data
from shared.settings import PROJECT_ROOT

REFERENCE = PROJECT_ROOT / "reference"


def jst(*args: int) -> datetime:
    return datetime(*args, tzinfo=JST).astimezone(timezone.utc)


@pytest.fixture(scope="module")
def policy():
    return load_response_policy(REFERENCE)


def test_the_city_policy_file_loads_and_every_agency_calendar_is_defined(policy) -> None:
    check_calendars(load_reference_data(REFERENCE), policy)


def test_a_friday_referral_before_a_holiday_weekend(policy) -> None:
    # Fri 2026-11-20 16:00; Mon 11-23 is 勤労感謝の日: acknowledge by end of Tue 11-24.
    due = policy.deadlines(jst(2026, 11, 20, 16), agency_kind="地域包括支援センター", urgency="通常",
                           calendar="jp-public")
    assert due.acknowledge_by == jst(2026, 11, 25, 0)
    assert due.decide_by == jst(2026, 11, 27, 0)  # Tue, Wed, Thu → end of Thursday


def test_the_year_end_closure_is_skipped(policy) -> None:
    due = policy.deadlines(jst(2026, 12, 28, 10), agency_kind="NPO", urgency="通常", calendar="jp-public")
    assert due.acknowledge_by == jst(2027, 1, 5, 0)  # 12/29–1/3 closed: Mon 1/4 is the first business day


def test_emergencies_count_clock_hours(policy) -> None:
    start = jst(2026, 11, 21, 22)  # a Saturday night
    due = policy.deadlines(start, agency_kind="地域包括支援センター", urgency="緊急", calendar="jp-public")
    assert (due.acknowledge_by - start).total_seconds() == 4 * 3600
    assert (due.decide_by - start).total_seconds() == 24 * 3600


def test_the_most_specific_rule_wins() -> None:
    policy = parse_response_policy({
        "default": {"acknowledge": {"business_days": 1}, "decide": {"business_days": 3}},
        "urgency": {"高": {"decide": {"business_days": 2}}},
        "agency_kinds": {"NPO": {"decide": {"business_days": 5}, "urgency": {"高": {"acknowledge": {"hours": 24}}}}},
    })
    spans = policy.spans("NPO", "高")
    assert spans["acknowledge"].hours == 24 and spans["decide"].business_days == 2
    assert policy.spans("NPO", "通常")["decide"].business_days == 5
    assert policy.spans("保健所", "通常")["decide"].business_days == 3


@pytest.mark.parametrize("raw", [
    {},
    {"default": {"acknowledge": {"business_days": 1}}},
    {"default": {"acknowledge": {"business_days": 0}, "decide": {"business_days": 3}}},
    {"default": {"acknowledge": {"days": 1}, "decide": {"business_days": 3}}},
    {"default": {"acknowledge": {"hours": 4}, "decide": {"business_days": 3}},
     "calendars": {"x": {"year_end_closure": "always"}}},
])
def test_a_bad_policy_file_is_refused_with_where(raw) -> None:
    with pytest.raises(ReferenceDataError, match="followups.yaml"):
        parse_response_policy(raw)
