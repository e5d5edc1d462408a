"""Community helpers' tasks in notify: who hears of each move, whom a task past its due
day reaches rung by rung, the policy's ``helper_tasks`` spans, and the helper's inbox
being their account's."""

from __future__ import annotations

import pytest

from services.notify.domain.routing import helper_task_escalation_notice, helper_task_notices
from services.notify.handlers.queries import inbox_scopes
from shared.followups import FollowupPolicy, FollowupPolicyError
from shared.identity import Identity


def test_each_move_tells_whom_it_concerns() -> None:
    told = {
        t: [(str(n.recipient), n.kind) for n in helper_task_notices(t, helper_id="h-1", area="中部")]
        for t in (
            "case.helper_task_assigned",
            "case.helper_task_accepted",
            "case.helper_task_declined",
            "case.helper_task_done",
            "case.helper_task_cancelled",
        )
    }
    assert told == {
        "case.helper_task_assigned": [("helper:h-1", "helper_task_new")],
        "case.helper_task_accepted": [],
        "case.helper_task_declined": [("coordinator:中部", "helper_task_declined")],
        "case.helper_task_done": [],
        "case.helper_task_cancelled": [("helper:h-1", "helper_task_cancelled")],
    }


def test_a_task_past_its_day_climbs_from_the_helper() -> None:
    rungs = [str(helper_task_escalation_notice(r, helper_id="h-1", area="中部").recipient) for r in (1, 2, 3)]
    assert rungs == ["helper:h-1", "coordinator:中部", "supervisor:city"]
    with pytest.raises(ValueError):
        helper_task_escalation_notice(4, helper_id="h-1", area="中部")


def test_the_helper_tasks_section_overrides_only_the_escalations() -> None:
    default = {k: {"business_days": 1} for k in ("acknowledge", "decide", "progress")}
    spans = {"escalate_to_coordinator": {"business_days": 1}, "escalate_to_supervisor": {"business_days": 1}}
    policy = FollowupPolicy.from_mapping(
        {"default": {**default, **spans}, "helper_tasks": {"escalate_to_supervisor": {"business_days": 3}}}
    )
    assert policy.helper_task_deadlines().escalate_to_supervisor.business_days == 3
    assert policy.helper_task_deadlines().escalate_to_coordinator.business_days == 1
    assert policy.watch_deadlines().escalate_to_supervisor.business_days == 1
    with pytest.raises(FollowupPolicyError, match="helper_tasks: unknown key 'acknowledge'"):
        FollowupPolicy.from_mapping({"default": {**default, **spans}, "helper_tasks": {"acknowledge": {"hours": 2}}})


def test_a_helper_reads_what_is_addressed_to_their_account_not_their_area() -> None:
    assert inbox_scopes(Identity(subject="h-1", role="helper", scope="中部")) == ["h-1"]
    assert inbox_scopes(Identity(subject="csw-1", role="coordinator", scope="中部")) == ["中部"]
