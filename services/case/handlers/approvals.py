"""Supervisor approvals (監督者の承認): a coordinator's request, the supervisor's
decision, and carrying out an approved move through the very command of the direct
move (``carry_out``). Reading the queue and a request is a read of the case (logged)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.case.adapters.approvals import ApprovalRepository
from services.case.domain import approvals as rules
from services.case.domain import moves
from services.case.domain import status as lifecycle
from services.case.domain.referrals import check_share
from services.case.handlers.approval_gates import add_request, merge_target, open_referrals, share_needs
from services.case.handlers.common import (
    CaseUpdate,
    check_version,
    load_visible,
    require_writer,
)
from shared.clock import as_utc
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, InvalidInput
from shared.identity import Identity
from shared.reference import ReferenceData


@dataclass(frozen=True)
class MoveIn:
    """The move asked for and what it needs (only the fields of its kind are read)."""

    move: str
    agency_id: str | None = None
    purpose: str | None = None
    share: tuple[str, ...] = ()
    into_case_id: str | None = None
    status_reason: str | None = None

    def params(self) -> dict[str, Any]:
        if self.move == rules.SHARE:
            return {"agency_id": self.agency_id, "purpose": self.purpose, "share": list(self.share)}
        if self.move == rules.MERGE:
            return {"into_case_id": self.into_case_id}
        return {"status_reason": self.status_reason}


async def _check_needed(
    uow: UnitOfWork, reference: ReferenceData, case: dict[str, Any], move: MoveIn, caller: Identity
) -> None:
    """The move must be one that waits for a supervisor now (else the coordinator makes
    it directly) and otherwise possible."""
    state = moves.CaseState.of(case)
    policy = reference.approvals
    if move.move == rules.SHARE:
        if not move.agency_id or reference.agency(move.agency_id) is None:
            raise InvalidInput(f"紹介先「{move.agency_id or ''}」は登録されていません。", field="agency_id")
        if not (move.purpose or "").strip():
            raise InvalidInput("紹介の目的を入力してください。", field="purpose")
        moves.check_referral(state)
        fields = check_share(move.share, case["consent"], case["legal_ground"])
        if share_needs(case, fields, reference) != rules.APPROVAL:
            raise _not_needed(case, "同意があるか、共有する項目に個人に関わるものがないか、緊急のケースです。")
    elif move.move == rules.CLOSE:
        moves.check_workable(state)
        lifecycle.move(case["status"], lifecycle.CLOSED)
        if not rules.close_needs(await open_referrals(uow, case["id"]), state.watching, policy):
            raise _not_needed(case, "終わっていない紹介も見守り計画もありません。")
    elif move.move == rules.REOPEN:
        moves.check_workable(state, allow_closed=True)
        lifecycle.move(case["status"], lifecycle.IN_HAND)
        closed_at = as_utc(case["closed_at"]) if case["closed_at"] else None
        if not rules.reopen_needs(closed_at, uow.clock.now(), policy):
            raise _not_needed(case, f"終結から{policy.reopen_after_long.after_days}日たっていません。")
    else:
        moves.check_workable(state)
        moves.check_not_watched(state)
        if not move.into_case_id or move.into_case_id == case["id"]:
            raise InvalidInput("統合先のケースを指定してください(同じケースは不可)。", field="into_case_id")
        target = await merge_target(uow, caller, case, move.into_case_id, reference, None)
        raise _not_needed(target, "統合先はあなたの圏域のケースです。")


def _not_needed(case: dict[str, Any], why: str) -> Conflict:
    return Conflict(
        f"この操作に監督者の承認は要りません({why})。そのまま操作してください。", current_version=case["version"]
    )


async def request(
    uow: UnitOfWork,
    reference: ReferenceData,
    case_id: str,
    move: MoveIn,
    reason: str,
    version: int,
    caller: Identity,
    correlation_id: str,
) -> tuple[str, int]:
    """A coordinator asks a supervisor for a move that waits for one."""
    require_writer(caller)
    if move.move not in rules.MOVES:
        raise InvalidInput(f"操作「{move.move}」はありません(使える値: {' / '.join(rules.MOVES)})。", field="move")
    async with uow:
        case = await load_visible(uow, case_id, caller, for_update=True)
        check_version(case, version)
        try:
            await _check_needed(uow, reference, case, move, caller)
        except Conflict as exc:
            if "approval_required" not in exc.extensions:
                raise
        repo = ApprovalRepository(uow.db)
        if await repo.open_of([case_id], move.move):
            raise Conflict(
                "この操作の承認依頼はすでに出ています。監督者の判断を待つか、取り下げてください。",
                current_version=case["version"],
            )
        update = CaseUpdate(uow, case, actor=caller.actor, correlation_id=correlation_id)
        approval_id = await add_request(
            update,
            reference,
            kind=rules.APPROVAL,
            move=move.move,
            params=move.params(),
            reason=reason,
            requested_by=caller.subject,
        )
        new_version = await update.save()
        await uow.commit()
    return approval_id, new_version
