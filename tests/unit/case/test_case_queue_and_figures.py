"""Queue visibility; PDCA arithmetic; the timeline's tamper evidence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.case.domain.figures import (
    accepted_within_deadline,
    ageing_bucket,
    decide_by,
    duration_stats,
    month_of,
)
from services.case.domain.queue import may_see, visible_areas
from services.case.domain.timeline import chain, content_hash, matches_kind, summarise
from shared.calendar import BusinessCalendar
from shared.followups import FollowupPolicy, load_followup_policy
from shared.reference import Agency
from shared.settings import PROJECT_ROOT

T0 = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)  # Monday 09:00 JST
POLICY = load_followup_policy(PROJECT_ROOT / "reference" / "followups.yaml")
CENTRE = Agency(id="hc", name="センター", kind="地域包括支援センター")
NPO = Agency(id="npo", name="NPO", kind="NPO")


def test_coordinators_see_their_area_and_the_city_wide_queue() -> None:
    assert visible_areas("supervisor", "city") is None
    assert may_see("coordinator", "中部", "中部") and may_see("coordinator", "中部", "市全域")
    assert not may_see("coordinator", "中部", "西部")


def test_accepted_within_the_policys_decide_span_in_business_days() -> None:
    # Default: 3 business days. Monday 2 Nov → Wed 4, Thu 5, Fri 6 (3 Nov is a holiday).
    deadline = decide_by(POLICY, T0, CENTRE, "通常")
    assert deadline == datetime(2026, 11, 6, 15, 0, tzinfo=UTC)  # 24:00 JST Friday
    assert accepted_within_deadline(datetime(2026, 11, 6, 14, 0, tzinfo=UTC), deadline)  # 23:00 JST Fri
    assert not accepted_within_deadline(datetime(2026, 11, 6, 15, 30, tzinfo=UTC), deadline)  # Sat JST


def test_the_deadline_follows_the_agency_kind_the_urgency_and_the_calendar() -> None:
    assert decide_by(POLICY, T0, NPO, "通常") == datetime(2026, 11, 10, 15, 0, tzinfo=UTC)  # 5 days
    assert decide_by(POLICY, T0, CENTRE, "高") == datetime(2026, 11, 5, 15, 0, tzinfo=UTC)  # 2 days
    assert decide_by(POLICY, T0, CENTRE, "緊急") == T0 + timedelta(hours=24)  # clock hours
    assert decide_by(POLICY, T0, None, None) == decide_by(POLICY, T0, CENTRE, "通常")  # not in the directory
    closed = FollowupPolicy.model_validate(
        {
            **POLICY.model_dump(exclude={"calendars"}),
            "calendars": {"closed-thursday": BusinessCalendar(closed_days=frozenset({datetime(2026, 11, 5).date()}))},
        }
    )
    saturday_after = datetime(2026, 11, 9, 15, 0, tzinfo=UTC)  # Thu 5 closed: Wed 4, Fri 6, Mon 9
    assert decide_by(closed, T0, CENTRE.model_copy(update={"calendar": "closed-thursday"}), "通常") == saturday_after


def test_durations_ageing_and_months() -> None:
    assert duration_stats([]) == {"count": 0, "median_hours": None, "mean_hours": None, "max_hours": None}
    assert duration_stats([1, 2, 10])["median_hours"] == 2
    assert [ageing_bucket(d) for d in (0, 7, 8, 30, 31, 90, 91)] == [
        "0-7日",
        "0-7日",
        "8-30日",
        "8-30日",
        "31-90日",
        "31-90日",
        "91日以上",
    ]
    assert month_of(datetime(2026, 10, 31, 16, 0, tzinfo=UTC)) == "2026-11"  # JST


def test_timeline_keeps_no_free_text_and_shows_tampering() -> None:
    summary = summarise({"referral_id": "r", "noticed": "…", "person": {}, "shared": {}, "reason": "定員"})
    assert summary == {"referral_id": "r", "reason": "定員"}
    args = dict(
        event_id="01",
        case_id="c",
        type_="referral.declined",
        occurred_at=T0,
        actor_role="agency",
        actor_id="hc-3",
        summary=summary,
    )
    assert content_hash(**args) == content_hash(**args)
    assert content_hash(**{**args, "summary": {"referral_id": "r", "reason": "改ざん"}}) != content_hash(**args)
    assert chain(["a", "b"]) != chain(["b", "a"])


def test_kind_filter() -> None:
    assert matches_kind("referral.accepted", ["referral"])
    assert matches_kind("referral.accepted", ["case", "referral.accepted"])
    assert not matches_kind("referral.accepted", ["referral.declined"])
    assert matches_kind("anything.at_all", [])
