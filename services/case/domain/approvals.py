"""Supervisor approvals (監督者の承認): which moves on a case wait for a supervisor, and
the life of a request. No I/O.

A coordinator requests a move (with a reason); a supervisor approves or refuses it
(with a reason); only an approved request is carried out — by the system, through the
same command as the direct move — and then it is done (or failed, if the case changed
so that the move no longer holds). A 緊急 share on a legal ground happens at once and
is put before the supervisor afterwards (a ``review``): approved means 確認済,
refused means the supervisor objects. Which moves need approval is the city's
reference data (``reference/approvals.yaml``, ``shared.approvals``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.approvals import ApprovalPolicy
from shared.errors import Conflict, Forbidden

# Moves a coordinator may be asked to get approved.
SHARE = "share_without_consent"
CLOSE = "close_with_open_work"
REOPEN = "reopen_after_long"
MERGE = "merge_across_areas"
MOVES: tuple[str, ...] = (SHARE, CLOSE, REOPEN, MERGE)
MOVE_LABELS: dict[str, str] = {
    SHARE: "同意なしの個人情報の共有",
    CLOSE: "未完了の紹介・見守りがあるケースの終結",
    REOPEN: "長期間を経たケースの再開",
    MERGE: "圏域をまたぐケースの統合",
}

# What a request is: a move waiting for approval, or a 緊急 share already made (review).
APPROVAL = "approval"
REVIEW = "review"
KIND_LABELS: dict[str, str] = {APPROVAL: "承認依頼", REVIEW: "事後確認"}

PENDING = "pending"
APPROVED = "approved"
REFUSED = "refused"
WITHDRAWN = "withdrawn"
CARRIED_OUT = "carried_out"
FAILED = "failed"
STATUSES: tuple[str, ...] = (PENDING, APPROVED, REFUSED, WITHDRAWN, CARRIED_OUT, FAILED)
STATUS_LABELS: dict[str, str] = {
    PENDING: "承認待ち",
    APPROVED: "承認済(実行待ち)",
    REFUSED: "却下",
    WITHDRAWN: "取り下げ",
    CARRIED_OUT: "承認・実行済",
    FAILED: "承認済・実行できず",
}
REVIEW_LABELS: dict[str, str] = {PENDING: "事後確認待ち", APPROVED: "確認済", REFUSED: "問題ありと指摘"}

# Every legal move of a request, by kind; anything else is refused.
ALLOWED: dict[str, dict[str, frozenset[str]]] = {
    APPROVAL: {
        PENDING: frozenset({APPROVED, REFUSED, WITHDRAWN}),
        APPROVED: frozenset({CARRIED_OUT, FAILED}),
    },
    # The share is already made: nothing to carry out, nothing to withdraw.
    REVIEW: {PENDING: frozenset({APPROVED, REFUSED})},
}
OPEN: frozenset[str] = frozenset({PENDING, APPROVED})


def status_label(kind: str, status: str) -> str:
    return (REVIEW_LABELS if kind == REVIEW else STATUS_LABELS).get(status, status)


def can_move(kind: str, current: str, target: str) -> bool:
    return target in ALLOWED.get(kind, {}).get(current, frozenset())


def move(kind: str, current: str, target: str) -> str:
    """The new status, or a 409 saying why the request cannot move there."""
    if not can_move(kind, current, target):
        raise Conflict(
            f"「{status_label(kind, current)}」の{KIND_LABELS.get(kind, kind)}は"
            f"「{status_label(kind, target)}」にできません。",
            current_status=current,
        )
    return target


# Who may do what ------------------------------------------------------------------------


def check_decider(role: str) -> None:
    if role != "supervisor":
        raise Forbidden("承認・却下は監督者のみ行えます。")


def check_withdrawer(role: str, subject: str, requested_by: str) -> None:
    if role != "coordinator" or subject != requested_by:
        raise Forbidden("取り下げは依頼したコーディネーター本人のみ行えます。")


# Which moves need approval ---------------------------------------------------------------


@dataclass(frozen=True)
class ShareFacts:
    personal: bool  # personal fields among those shared
    consented: bool
    legal_ground: bool
    urgent: bool  # the case's priority is 緊急


def share_needs(facts: ShareFacts, policy: ApprovalPolicy) -> str | None:
    """``approval`` (wait for a supervisor), ``review`` (share now, supervisor reviews
    after) or None (consent, nothing personal, or the city needs no approval). Without
    consent or a legal ground the share is refused by the sharing rule itself."""
    if not facts.personal or facts.consented or not facts.legal_ground or not policy.share_without_consent.required:
        return None
    return REVIEW if facts.urgent else APPROVAL


def close_needs(open_referrals: int, watching: bool, policy: ApprovalPolicy) -> bool:
    return (open_referrals > 0 or watching) and policy.close_with_open_work.required


def reopen_needs(closed_at: datetime | None, now: datetime, policy: ApprovalPolicy) -> bool:
    rule = policy.reopen_after_long
    if not rule.required or closed_at is None:
        return False
    return now - closed_at >= timedelta(days=rule.after_days)


def merge_needs(source_area: str, target_area: str, policy: ApprovalPolicy) -> bool:
    return source_area != target_area and policy.merge_across_areas.required


def approval_required(move_: str, why: str, version: int) -> Conflict:
    """The refusal of a direct move that needs approval (the console offers the request)."""
    return Conflict(
        f"{why}監督者の承認が必要です。理由を添えて承認を依頼してください。",
        approval_required=move_,
        current_version=version,
    )
