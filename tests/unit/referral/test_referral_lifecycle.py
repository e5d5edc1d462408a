"""The referral lifecycle as a pure state machine: every legal and every illegal move."""

from __future__ import annotations

import itertools

import pytest

from services.referral.domain.lifecycle import (
    FHIR_BUSINESS_STATUS,
    FHIR_STATUS,
    MOVES,
    OPEN,
    STATUS_LABELS,
    TERMINAL,
    Action,
    IllegalMove,
    Party,
    ReasonRequired,
    Status,
    allowed_actions,
    next_status,
)

S, A = Status, Action

# The lifecycle, written out once more by hand: the test fails if the table drifts.
LEGAL: dict[tuple[Status, Action], Status] = {
    (S.REQUESTED, A.DELIVER): S.RECEIVED,
    (S.REQUESTED, A.UNDELIVERABLE): S.FAILED,
    (S.RECEIVED, A.ACKNOWLEDGE): S.ACKNOWLEDGED,
    (S.RECEIVED, A.ACCEPT): S.ACCEPTED,
    (S.ACKNOWLEDGED, A.ACCEPT): S.ACCEPTED,
    (S.RECEIVED, A.DECLINE): S.DECLINED,
    (S.ACKNOWLEDGED, A.DECLINE): S.DECLINED,
    (S.ACCEPTED, A.START): S.IN_PROGRESS,
    (S.ACCEPTED, A.HOLD): S.ON_HOLD,
    (S.IN_PROGRESS, A.HOLD): S.ON_HOLD,
    (S.ON_HOLD, A.RESUME): S.IN_PROGRESS,
    (S.ACCEPTED, A.COMPLETE): S.COMPLETED,
    (S.IN_PROGRESS, A.COMPLETE): S.COMPLETED,
    (S.ACCEPTED, A.FAIL): S.FAILED,
    (S.IN_PROGRESS, A.FAIL): S.FAILED,
    (S.ON_HOLD, A.FAIL): S.FAILED,
    **{
        (state, A.CANCEL): S.CANCELLED
        for state in (S.REQUESTED, S.RECEIVED, S.ACKNOWLEDGED, S.ACCEPTED, S.IN_PROGRESS, S.ON_HOLD)
    },
}
ILLEGAL = [pair for pair in itertools.product(Status, Action) if pair not in LEGAL]


@pytest.mark.parametrize(("current", "action"), list(LEGAL), ids=lambda v: v.value)
def test_every_legal_move(current: Status, action: Action) -> None:
    assert next_status(current, action, reason="理由") == LEGAL[(current, action)]


@pytest.mark.parametrize(("current", "action"), ILLEGAL, ids=lambda v: v.value)
def test_every_illegal_move_is_refused_naming_the_current_state(current: Status, action: Action) -> None:
    with pytest.raises(IllegalMove) as refused:
        next_status(current, action, reason="理由")
    assert refused.value.current == current
    assert STATUS_LABELS[current] in str(refused.value)
    assert "できません" in str(refused.value)


def test_the_table_is_exhaustive() -> None:
    assert len(LEGAL) + len(ILLEGAL) == len(Status) * len(Action)
    assert len(ILLEGAL) > 80  # most pairs are illegal; each has its own test above


def test_terminal_states_allow_nothing() -> None:
    for state in TERMINAL:
        assert allowed_actions(state) == []
    assert TERMINAL == {S.COMPLETED, S.DECLINED, S.CANCELLED, S.FAILED}
    assert OPEN | TERMINAL == set(Status)


@pytest.mark.parametrize("action", [A.DECLINE, A.CANCEL, A.FAIL, A.UNDELIVERABLE])
@pytest.mark.parametrize("reason", [None, "", "   \n"])
def test_reason_required(action: Action, reason: str | None) -> None:
    current = next(iter(sorted(MOVES[action].from_states)))
    with pytest.raises(ReasonRequired) as refused:
        next_status(current, action, reason)
    assert "理由" in str(refused.value)


@pytest.mark.parametrize("action", [A.ACKNOWLEDGE, A.ACCEPT, A.START, A.HOLD, A.RESUME, A.COMPLETE])
def test_reason_optional(action: Action) -> None:
    current = next(iter(sorted(MOVES[action].from_states)))
    assert next_status(current, action, None) == MOVES[action].to


def test_who_makes_each_move() -> None:
    agency = {A.ACKNOWLEDGE, A.ACCEPT, A.DECLINE, A.START, A.HOLD, A.RESUME, A.COMPLETE, A.FAIL}
    assert {a for a, m in MOVES.items() if m.party == Party.AGENCY} == agency
    assert {a for a, m in MOVES.items() if m.party == Party.COORDINATOR} == {A.CANCEL}
    assert {a for a, m in MOVES.items() if m.party == Party.SYSTEM} == {A.DELIVER, A.UNDELIVERABLE}


def test_allowed_actions_per_party() -> None:
    assert allowed_actions(S.RECEIVED, Party.AGENCY) == [A.ACKNOWLEDGE, A.ACCEPT, A.DECLINE]
    assert allowed_actions(S.RECEIVED, Party.COORDINATOR) == [A.CANCEL]
    assert allowed_actions(S.ON_HOLD, Party.AGENCY) == [A.RESUME, A.FAIL]


def test_fhir_mapping() -> None:
    assert set(FHIR_STATUS) == set(Status)
    assert FHIR_STATUS[S.RECEIVED] == FHIR_STATUS[S.ACKNOWLEDGED] == "requested"
    assert FHIR_BUSINESS_STATUS == {S.RECEIVED: "received", S.ACKNOWLEDGED: "acknowledged"}
    assert FHIR_STATUS[S.DECLINED] == "rejected"
    assert FHIR_STATUS[S.IN_PROGRESS] == "in-progress" and FHIR_STATUS[S.ON_HOLD] == "on-hold"
    fhir_task_codes = {
        "draft",
        "requested",
        "received",
        "accepted",
        "rejected",
        "ready",
        "cancelled",
        "in-progress",
        "on-hold",
        "failed",
        "completed",
        "entered-in-error",
    }
    assert set(FHIR_STATUS.values()) <= fhir_task_codes
