"""The follow-up policy's ``cases`` section: how long a case may wait for a coordinator
and for its first contact, per urgency (the one policy model, extended)."""

from __future__ import annotations

from typing import Any

import pytest

from shared.followups import FollowupPolicy, FollowupPolicyError
from shared.spans import Span

DEFAULT = {k: {"business_days": 1} for k in ("acknowledge", "decide", "progress")} | {
    "escalate_to_coordinator": {"business_days": 1},
    "escalate_to_supervisor": {"business_days": 1},
}


def policy(**sections: Any) -> FollowupPolicy:
    return FollowupPolicy.from_mapping({"default": DEFAULT, **sections})


def test_without_a_cases_section_the_defaults_apply() -> None:
    spans = policy().case_deadlines("通常")
    assert (spans.assign, spans.first_contact, spans.escalate_to_supervisor) == (
        Span(business_hours=4),
        Span(business_days=2),
        Span(business_hours=4),
    )


def test_the_urgency_overrides_the_section_span_by_span() -> None:
    p = policy(cases={"assign": {"business_hours": 8}, "urgency": {"緊急": {"assign": {"hours": 1}}}})
    assert p.case_deadlines("通常").assign == Span(business_hours=8)
    urgent = p.case_deadlines("緊急")
    assert urgent.assign == Span(hours=1)
    assert urgent.first_contact == Span(business_days=2)
    assert p.case_deadlines(None).assign == Span(business_hours=8)


@pytest.mark.parametrize(
    ("cases", "says"),
    [
        ({"asign": {"hours": 1}}, "cases: unknown key 'asign' (did you mean 'assign'?)"),
        ({"urgency": {"至急": {"assign": {"hours": 1}}}}, "cases.urgency: unknown urgency '至急'"),
        ({"first_contact": {"business_days": 0}}, "cases.first_contact: business_days must be an integer ≥ 1"),
    ],
)
def test_a_mistake_in_the_cases_section_is_named(cases: dict[str, Any], says: str) -> None:
    with pytest.raises(FollowupPolicyError) as refused:
        policy(cases=cases)
    assert says in str(refused.value)
