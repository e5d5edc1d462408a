"""Watch plans (見守り) in notify: whom a missed check-in's ladder and a worrying
check-in reach, and the policy's ``watch`` spans."""

from __future__ import annotations

import pytest

from services.notify.domain.routing import checkin_notices, watch_escalation_notice
from shared.events.watch import WATCHER_LABELS
from shared.followups import FollowupPolicy, FollowupPolicyError


def test_a_missed_check_in_climbs_the_ladder_from_the_watcher() -> None:
    first = [watch_escalation_notice(1, watcher_kind=k, watcher_id="w-1", area="中部") for k in WATCHER_LABELS]
    assert [(n.recipient.role, n.recipient.scope, n.kind) for n in first] == [
        ("coordinator", "中部", "watch_reminder_coordinator"),
        ("helper", "w-1", "watch_reminder_helper"),
        ("agency", "w-1", "watch_reminder_agency"),
    ]
    assert str(watch_escalation_notice(2, watcher_kind="helper", watcher_id="w-1", area="中部").recipient) == (
        "coordinator:中部"
    )
    assert str(watch_escalation_notice(3, watcher_kind="helper", watcher_id="w-1", area="中部").recipient) == (
        "supervisor:city"
    )


def test_a_change_alerts_the_area_and_an_emergency_every_area_from_the_city_wide_queue() -> None:
    assert checkin_notices("変わりなし", "中部") == []
    assert [(str(n.recipient), n.kind) for n in checkin_notices("気になる変化", "中部")] == [
        ("coordinator:中部", "watch_concern")
    ]
    urgent = checkin_notices("緊急", "市全域", ("中部", "西部"))
    assert [(str(n.recipient), n.kind) for n in urgent] == [
        ("coordinator:中部", "watch_urgent"),
        ("coordinator:西部", "watch_urgent"),
    ]


def test_the_watch_section_of_the_policy_overrides_only_the_escalations() -> None:
    default = {k: {"business_days": 1} for k in ("acknowledge", "decide", "progress")}
    spans = {"escalate_to_coordinator": {"business_days": 1}, "escalate_to_supervisor": {"business_days": 1}}
    policy = FollowupPolicy.from_mapping(
        {"default": {**default, **spans}, "watch": {"escalate_to_supervisor": {"business_days": 2}}}
    )
    assert policy.watch_deadlines().escalate_to_supervisor.business_days == 2
    assert policy.watch_deadlines().escalate_to_coordinator.business_days == 1
    with pytest.raises(FollowupPolicyError, match="watch: unknown key 'decide'"):
        FollowupPolicy.from_mapping({"default": {**default, **spans}, "watch": {"decide": {"business_days": 2}}})
