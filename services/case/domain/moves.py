"""What may be done to a case right now: one rule for the commands that refuse a move
and for the case page that offers only the legal ones. No I/O.

Each ``check_*`` raises the refusal its command answers with (409); the page runs the
very same check and shows its message (``refusal``), so the two cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from services.case.domain import status as lifecycle
from shared.errors import Conflict, DomainError


@dataclass(frozen=True)
class CaseState:
    """The facts of a case the rules below look at."""

    status: str
    assigned: bool
    merged_into: str | None
    version: int
    watching: bool = False  # a watch plan (見守り) is running

    @classmethod
    def of(cls, case: Mapping[str, Any]) -> CaseState:
        return cls(
            status=case["status"],
            assigned=case["coordinator_id"] is not None,
            merged_into=case["merged_into"],
            version=case["version"],
            watching=case.get("watch_plan_id") is not None,
        )


def check_workable(state: CaseState, *, allow_closed: bool = False) -> None:
    """A merged case is worked on through the case it was merged into; a closed one is
    reopened first (notes and the reopening itself are allowed on it)."""
    if state.merged_into:
        raise Conflict(
            "このケースは別のケースに統合されています。統合先のケースで操作してください。",
            merged_into=state.merged_into,
            current_version=state.version,
        )
    if state.status == lifecycle.CLOSED and not allow_closed:
        raise Conflict(
            "終結したケースです。必要なら再開してから操作してください。",
            current_status=lifecycle.CLOSED,
            current_version=state.version,
        )


def check_status_change(state: CaseState, target: str) -> lifecycle.Status:
    """``POST /status``: the case must be workable (closed is fine: reopening); a status
    from which the case can be referred needs an owner; then the lifecycle's table."""
    check_workable(state, allow_closed=True)
    if target in lifecycle.REFERABLE and not state.assigned:
        raise Conflict("担当が決まっていないケースです。先に担当を決めてください。", current_version=state.version)
    if target == lifecycle.CLOSED:
        check_not_watched(state)
    return lifecycle.move(state.status, target)


def check_not_watched(state: CaseState) -> None:
    """A case is not closed, nor merged away, while someone is still watching over the
    person: the watch plan is ended first (on purpose, not as a side effect)."""
    if state.watching:
        raise Conflict(
            "見守り計画が続いています。先に見守りを終えてから操作してください。", current_version=state.version
        )


def check_referral(state: CaseState) -> None:
    """``POST /referrals``: a workable case in a status from which it can be handed on."""
    check_workable(state)
    lifecycle.check_referable(state.status)


def refusal(check: Callable[[], object]) -> str | None:
    """The message ``check`` refuses with, or ``None`` if it passes."""
    try:
        check()
    except DomainError as exc:
        return exc.message
    return None


def allowed_statuses(state: CaseState, *, close_by_approval: bool = False) -> list[str]:
    """The statuses ``POST /status`` would accept now, in lifecycle order. No move needs
    a reason, so a plain list. With ``close_by_approval`` (closing with a watch plan
    running waits for a supervisor, whose approval ends the watch) 終結 is offered to a
    watched case too: the command answers it with the approval to request."""

    def offered(target: str) -> bool:
        checked = replace(state, watching=False) if close_by_approval and target == lifecycle.CLOSED else state
        return refusal(partial(check_status_change, checked, target)) is None

    return [target for target in lifecycle.STATUSES if offered(target)]


def referral_refusal(state: CaseState) -> str | None:
    """Why the case cannot be referred now (``None``: it can)."""
    return refusal(partial(check_referral, state))
