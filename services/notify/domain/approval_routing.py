"""Who hears of a supervisor's approval request (監督者の承認). Pure rules.

A new request goes to the supervisors; the decision to the requesting area's
coordinators. Left past its ``decide_by`` it is chased on the follow-up ladder:
rung 1 reminds the supervisors, rung 2 tells the area's coordinators it still
waits, rung 3 escalates to the supervisors again."""

from __future__ import annotations

from services.notify.domain.routing import SUPERVISOR, Notice, coordinator

APPROVAL = "approval"  # a timer's subject and step: an approval request's decision


def requested_notices(kind: str) -> list[Notice]:
    return [Notice(SUPERVISOR, "approval_review" if kind == "review" else "approval_requested")]


def decided_notices(area: str, decision: str) -> list[Notice]:
    return [Notice(coordinator(area), f"approval_{decision}")]


def approval_escalation_notice(rung: int, *, area: str) -> Notice:
    if rung == 1:
        return Notice(SUPERVISOR, "approval_reminder")
    if rung == 2:
        return Notice(coordinator(area), "approval_waiting")
    if rung == 3:
        return Notice(SUPERVISOR, "approval_escalation_supervisor")
    raise ValueError(f"no escalation rung {rung}")
