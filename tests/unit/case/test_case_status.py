"""The case lifecycle: every legal move, every illegal move, the reporter's stage."""

from __future__ import annotations

import itertools

import pytest

from services.case.domain.status import (
    ALLOWED_MOVES,
    CLOSED,
    CONNECTING,
    IN_HAND,
    RECEIVED,
    STATUSES,
    WATCHING,
    check_referable,
    move,
    reporter_stage,
)
from shared.errors import Conflict, InvalidInput

LEGAL = {
    (RECEIVED, IN_HAND),
    (RECEIVED, CLOSED),
    (IN_HAND, CONNECTING),
    (IN_HAND, WATCHING),
    (IN_HAND, CLOSED),
    (CONNECTING, IN_HAND),
    (CONNECTING, WATCHING),
    (CONNECTING, CLOSED),
    (WATCHING, IN_HAND),
    (WATCHING, CONNECTING),
    (WATCHING, CLOSED),
    (CLOSED, IN_HAND),
}
ILLEGAL = sorted(set(itertools.product(STATUSES, STATUSES)) - LEGAL)


def test_the_table_is_exactly_the_documented_one() -> None:
    assert {(a, b) for a, targets in ALLOWED_MOVES.items() for b in targets} == LEGAL


@pytest.mark.parametrize(("current", "target"), sorted(LEGAL))
def test_legal_moves(current: str, target: str) -> None:
    assert move(current, target) == target


@pytest.mark.parametrize(("current", "target"), ILLEGAL)
def test_every_illegal_move_is_a_conflict_in_japanese(current: str, target: str) -> None:
    with pytest.raises(Conflict) as raised:
        move(current, target)
    assert current in raised.value.message
    assert raised.value.extensions["current_status"] == current


def test_reopening_goes_back_in_hand_only() -> None:
    assert move(CLOSED, IN_HAND) == IN_HAND
    for target in (RECEIVED, CONNECTING, WATCHING):
        with pytest.raises(Conflict):
            move(CLOSED, target)


def test_unknown_status_is_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        move(RECEIVED, "保留")


@pytest.mark.parametrize("status", [RECEIVED, CLOSED])
def test_referrals_need_a_case_in_hand(status: str) -> None:
    with pytest.raises(Conflict):
        check_referable(status)
    for ok in (IN_HAND, CONNECTING, WATCHING):
        check_referable(ok)


@pytest.mark.parametrize(
    ("status", "accepted", "stage"),
    [
        (RECEIVED, False, "受付済"),
        (IN_HAND, False, "対応中"),
        (CONNECTING, False, "対応中"),
        (CONNECTING, True, "つなぎ済"),
        (WATCHING, True, "つなぎ済"),
        (WATCHING, False, "対応中"),
        (CLOSED, True, "終結"),
        (CLOSED, False, "終結"),
    ],
)
def test_reporter_stage(status: str, accepted: bool, stage: str) -> None:
    assert reporter_stage(status, accepted) == stage
