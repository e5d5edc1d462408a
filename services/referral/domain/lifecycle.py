"""The referral lifecycle (紹介の状態遷移): a pure state machine, no I/O.

A referral is "connected all the way" (つなぎきる) only when the agency has taken it
up. Its states follow the closed-loop referral model of HL7 FHIR's Task (as used by
the SDOH Clinical Care guide), plus two states FHIR lacks, which follow-up needs:

    requested ─deliver→ received ─acknowledge→ acknowledged ─accept→ accepted
                           │                        │                   │
                           └──── accept / decline ──┴──→ declined       ├─start→ in_progress ─complete→ completed
                                                                        ├─hold→ on_hold ─resume→ in_progress
                                                                        └─complete / fail
    any open state ─cancel (coordinator)→ cancelled
    requested ─undeliverable (system: unknown agency)→ failed

Where Tsunagi's states map to FHIR Task.status (Task.businessStatus in brackets):

    ============  ==================  =========================================
    Tsunagi       FHIR Task.status    note
    ============  ==================  =========================================
    requested     requested           sent by the coordinator, not yet in the inbox
    received      requested           [received] in the agency's inbox
    acknowledged  requested           [acknowledged] agency staff opened it
    accepted      accepted
    in_progress   in-progress
    on_hold       on-hold
    completed     completed
    declined      rejected            reason required
    cancelled     cancelled           by the coordinator, reason required
    failed        failed              undeliverable, or the agency could not do it
    ============  ==================  =========================================

FHIR's ``entered-in-error`` has no counterpart: a referral made by mistake is
cancelled with a reason, so the trail stays visible.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    REQUESTED = "requested"
    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"
    COMPLETED = "completed"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    FAILED = "failed"


class Action(StrEnum):
    DELIVER = "deliver"
    UNDELIVERABLE = "undeliverable"
    ACKNOWLEDGE = "acknowledge"
    ACCEPT = "accept"
    DECLINE = "decline"
    START = "start"
    HOLD = "hold"
    RESUME = "resume"
    COMPLETE = "complete"
    FAIL = "fail"
    CANCEL = "cancel"


class Party(StrEnum):
    """Who makes a move: the service itself, the agency addressed, or the
    coordinator of the referral's area."""

    SYSTEM = "system"
    AGENCY = "agency"
    COORDINATOR = "coordinator"


STATUS_LABELS: dict[Status, str] = {
    Status.REQUESTED: "依頼済",
    Status.RECEIVED: "受信済(未確認)",
    Status.ACKNOWLEDGED: "確認済",
    Status.ACCEPTED: "受諾",
    Status.IN_PROGRESS: "対応中",
    Status.ON_HOLD: "保留中",
    Status.COMPLETED: "完了",
    Status.DECLINED: "辞退",
    Status.CANCELLED: "取消",
    Status.FAILED: "不成立",
}

ACTION_LABELS: dict[Action, str] = {
    Action.DELIVER: "受信",
    Action.UNDELIVERABLE: "配信不能",
    Action.ACKNOWLEDGE: "確認",
    Action.ACCEPT: "受諾",
    Action.DECLINE: "辞退",
    Action.START: "対応開始",
    Action.HOLD: "保留",
    Action.RESUME: "再開",
    Action.COMPLETE: "完了",
    Action.FAIL: "不成立",
    Action.CANCEL: "取消",
}

FHIR_STATUS: dict[Status, str] = {
    Status.REQUESTED: "requested",
    Status.RECEIVED: "requested",
    Status.ACKNOWLEDGED: "requested",
    Status.ACCEPTED: "accepted",
    Status.IN_PROGRESS: "in-progress",
    Status.ON_HOLD: "on-hold",
    Status.COMPLETED: "completed",
    Status.DECLINED: "rejected",
    Status.CANCELLED: "cancelled",
    Status.FAILED: "failed",
}
# Task.businessStatus, where FHIR's status alone loses Tsunagi's distinction.
FHIR_BUSINESS_STATUS: dict[Status, str] = {Status.RECEIVED: "received", Status.ACKNOWLEDGED: "acknowledged"}

TERMINAL = frozenset({Status.COMPLETED, Status.DECLINED, Status.CANCELLED, Status.FAILED})
OPEN = frozenset(Status) - TERMINAL
# Waiting for the agency to take it up: what follow-up chases.
AWAITING_AGENCY = frozenset({Status.RECEIVED, Status.ACKNOWLEDGED})


@dataclass(frozen=True)
class Move:
    party: Party
    from_states: frozenset[Status]
    to: Status
    reason_required: bool = False


MOVES: dict[Action, Move] = {
    Action.DELIVER: Move(Party.SYSTEM, frozenset({Status.REQUESTED}), Status.RECEIVED),
    Action.UNDELIVERABLE: Move(Party.SYSTEM, frozenset({Status.REQUESTED}), Status.FAILED, reason_required=True),
    Action.ACKNOWLEDGE: Move(Party.AGENCY, frozenset({Status.RECEIVED}), Status.ACKNOWLEDGED),
    # Staff may open and accept (or decline) in one step.
    Action.ACCEPT: Move(Party.AGENCY, AWAITING_AGENCY, Status.ACCEPTED),
    Action.DECLINE: Move(Party.AGENCY, AWAITING_AGENCY, Status.DECLINED, reason_required=True),
    Action.START: Move(Party.AGENCY, frozenset({Status.ACCEPTED}), Status.IN_PROGRESS),
    Action.HOLD: Move(Party.AGENCY, frozenset({Status.ACCEPTED, Status.IN_PROGRESS}), Status.ON_HOLD),
    Action.RESUME: Move(Party.AGENCY, frozenset({Status.ON_HOLD}), Status.IN_PROGRESS),
    Action.COMPLETE: Move(Party.AGENCY, frozenset({Status.ACCEPTED, Status.IN_PROGRESS}), Status.COMPLETED),
    Action.FAIL: Move(
        Party.AGENCY,
        frozenset({Status.ACCEPTED, Status.IN_PROGRESS, Status.ON_HOLD}),
        Status.FAILED,
        reason_required=True,
    ),
    Action.CANCEL: Move(Party.COORDINATOR, OPEN, Status.CANCELLED, reason_required=True),
}


class IllegalMove(Exception):
    """The move is not allowed from the referral's current state."""

    def __init__(self, action: Action, current: Status) -> None:
        self.action = action
        self.current = current
        super().__init__(
            f"現在の状態「{STATUS_LABELS[current]}」({current.value})では"
            f"「{ACTION_LABELS[action]}」({action.value})はできません。"
        )


class ReasonRequired(Exception):
    def __init__(self, action: Action) -> None:
        self.action = action
        super().__init__(f"「{ACTION_LABELS[action]}」には理由の入力が必要です。")


def next_status(current: Status, action: Action, reason: str | None = None) -> Status:
    """The state after ``action``; raises ``IllegalMove`` or ``ReasonRequired``."""
    move = MOVES[action]
    if current not in move.from_states:
        raise IllegalMove(action, current)
    if move.reason_required and not (reason and reason.strip()):
        raise ReasonRequired(action)
    return move.to


def party_for(action: Action) -> Party:
    return MOVES[action].party


def allowed_actions(current: Status, party: Party | None = None) -> list[Action]:
    """The moves open from ``current`` (for ``party``, if given), in declaration order."""
    return [a for a, m in MOVES.items() if current in m.from_states and (party is None or m.party == party)]
