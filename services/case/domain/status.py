"""The case status lifecycle (ケースの状態) and the stage a reporter sees. No I/O.

受付 (received) → 対応中 (in hand) → つなぎ中 (being connected) → 見守り (watching over)
→ 終結 (closed), with reopening. Every move not listed in ``ALLOWED_MOVES`` is illegal.
"""

from __future__ import annotations

from typing import Literal

from shared.errors import Conflict, InvalidInput

Status = Literal["受付", "対応中", "つなぎ中", "見守り", "終結"]
RECEIVED: Status = "受付"
IN_HAND: Status = "対応中"
CONNECTING: Status = "つなぎ中"
WATCHING: Status = "見守り"
CLOSED: Status = "終結"
STATUSES: tuple[Status, ...] = (RECEIVED, IN_HAND, CONNECTING, WATCHING, CLOSED)
OPEN_STATUSES: frozenset[str] = frozenset(STATUSES) - {CLOSED}

ALLOWED_MOVES: dict[str, frozenset[str]] = {
    # A received case may be closed at once (e.g. nothing to do, resolved by a call).
    RECEIVED: frozenset({IN_HAND, CLOSED}),
    IN_HAND: frozenset({CONNECTING, WATCHING, CLOSED}),
    # A declined or stalled handoff goes back to the coordinator's hands.
    CONNECTING: frozenset({IN_HAND, WATCHING, CLOSED}),
    WATCHING: frozenset({IN_HAND, CONNECTING, CLOSED}),
    # Reopening: a closed case comes back in hand, never straight to another stage.
    CLOSED: frozenset({IN_HAND}),
}

# Statuses from which a coordinator may hand the case to an agency.
REFERABLE: frozenset[str] = frozenset({IN_HAND, CONNECTING, WATCHING})


def check_status(value: str) -> Status:
    if value not in STATUSES:
        raise InvalidInput(f"状態「{value}」はありません(使える値: {' / '.join(STATUSES)})。", field="to")
    return value  # type: ignore[return-value]


def can_move(current: str, target: str) -> bool:
    return target in ALLOWED_MOVES.get(current, frozenset())


def move(current: str, target: str) -> Status:
    """The new status, or a 409 saying why the move is not allowed."""
    check_status(target)
    if current == target:
        raise Conflict(f"このケースはすでに「{current}」です。", current_status=current)
    if not can_move(current, target):
        allowed = "・".join(sorted(ALLOWED_MOVES.get(current, ()), key=STATUSES.index)) or "なし"
        raise Conflict(
            f"「{current}」から「{target}」には変更できません(変更できる状態: {allowed})。", current_status=current
        )
    return target  # type: ignore[return-value]


def check_referable(current: str) -> None:
    if current == CLOSED:
        raise Conflict("終結したケースには紹介を依頼できません(必要なら再開してください)。", current_status=current)
    if current not in REFERABLE:
        raise Conflict(
            f"「{current}」のケースには紹介を依頼できません。先に担当を決めて対応を始めてください。",
            current_status=current,
        )


# What a reporter sees -------------------------------------------------------------------
ReporterStage = Literal["受付済", "対応中", "つなぎ済", "終結"]


def reporter_stage(status: str, any_referral_accepted: bool) -> ReporterStage:
    """Derived, never stored independently: 終結 when closed; つなぎ済 once an agency
    has accepted a referral; 対応中 once a coordinator has the case in hand."""
    if status == CLOSED:
        return "終結"
    if any_referral_accepted:
        return "つなぎ済"
    if status == RECEIVED:
        return "受付済"
    return "対応中"
