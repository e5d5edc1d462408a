"""Where a direct move meets the approval rules: inside the move's own transaction, a
move that needs a supervisor is refused (``approval_required``) — unless it is the
system carrying out an approved request, which it claims here, exactly once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.case.adapters.approvals import ApprovalRepository
from services.case.adapters.records import ReferralRepository
from services.case.adapters.repository import CaseRepository
from services.case.adapters.watch import WatchRepository
from services.case.domain import approvals as rules
from services.case.domain import status as lifecycle
from services.case.domain.queue import may_see
from services.case.domain.referrals import CONSENTED
from services.case.domain.watch import ENDED
from services.case.handlers.common import CaseUpdate, family_ids, require_writer
from shared.clock import as_utc
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, Forbidden, InvalidInput
from shared.events import SYSTEM, Actor, new_event_id
from shared.events.approvals import ApprovalCarriedOut, ApprovalRequested
from shared.events.referral import PERSONAL_FIELDS
from shared.events.watch import WatchEnded
from shared.identity import Identity
from shared.reference import ReferenceData

# A referral's statuses after which nothing more is open.
REFERRAL_ENDED = frozenset({"declined", "completed", "failed", "cancelled"})


@dataclass(frozen=True)
class Approved:
    """An approved request the system is carrying out."""

    approval_id: str
    move: str
    requested_by: str  # the coordinator who asked: the move is theirs, approved


def mover(caller: Identity, approved: Approved | None) -> Actor:
    """Who makes the move: the coordinator, or the system on a supervisor's approval."""
    if approved is None:
        require_writer(caller)
        return caller.actor
    if caller.role != "supervisor":
        raise Forbidden("承認された操作は、承認した監督者の判断でのみ実行されます。")
    return SYSTEM


async def open_referrals(uow: UnitOfWork, case_id: str) -> int:
    referrals = await ReferralRepository(uow.db).of_cases(await family_ids(uow, case_id))
    return sum(1 for r in referrals if r["status"] not in REFERRAL_ENDED)


async def status_gate(update: CaseUpdate, reference: ReferenceData, target: str, approved: Approved | None) -> None:
    """Closing with open referrals or a watch plan; reopening long after closing. An
    approved close ends the running watch plan first (on the supervisor's say-so)."""
    case, uow, policy = update.case, update.uow, reference.approvals
    if target == lifecycle.CLOSED and case["status"] != lifecycle.CLOSED:
        count = await open_referrals(uow, case["id"])
        watching = case["watch_plan_id"] is not None
        if approved is not None:  # approved: made even if the open work ended meanwhile
            await claim(update, approved, rules.CLOSE)
            if watching:
                await _end_watch(update)
        elif rules.close_needs(count, watching, policy):
            why = (f"終わっていない紹介が{count}件あります。" if count else "") + (
                "見守り計画が続いています。" if watching else ""
            )
            raise rules.approval_required(rules.CLOSE, why, case["version"])
    elif target == lifecycle.IN_HAND and case["status"] == lifecycle.CLOSED:
        closed_at = as_utc(case["closed_at"]) if case["closed_at"] else None
        if approved is not None:
            await claim(update, approved, rules.REOPEN)
        elif rules.reopen_needs(closed_at, uow.clock.now(), policy):
            days = policy.reopen_after_long.after_days
            raise rules.approval_required(rules.REOPEN, f"終結から{days}日以上たっています。", case["version"])
    elif approved is not None:
        raise Conflict("承認された操作とは別の状態変更です。", current_version=case["version"])


def share_needs(case: dict[str, Any], fields: list[str], reference: ReferenceData) -> str | None:
    """Whether sharing ``fields`` of the case waits for a supervisor (``approval``), is
    reviewed afterwards (``review``, a 緊急 case) or neither (None)."""
    facts = rules.ShareFacts(
        personal=any(f in PERSONAL_FIELDS for f in fields),
        consented=case["consent"] == CONSENTED,
        legal_ground=bool((case["legal_ground"] or "").strip()),
        urgent=case["priority"] == "緊急",
    )
    return rules.share_needs(facts, reference.approvals)


def share_gate(
    case: dict[str, Any], fields: list[str], reference: ReferenceData, approved: Approved | None
) -> str | None:
    """``share_needs``; an unapproved share that waits for a supervisor is refused."""
    needs = share_needs(case, fields, reference)
    if needs == rules.APPROVAL and approved is None:
        raise rules.approval_required(
            rules.SHARE, "本人の同意がないまま個人に関わる項目を共有します。", case["version"]
        )
    return needs


async def merge_target(
    uow: UnitOfWork,
    caller: Identity,
    source: dict[str, Any],
    into_case_id: str,
    reference: ReferenceData,
    approved: Approved | None,
) -> dict[str, Any]:
    """The case merged into: one the coordinator sees, or — another area's, out of their
    sight — one a supervisor approved merging into."""
    target = await CaseRepository(uow.db).get(into_case_id, for_update=True)
    if target is None:
        raise InvalidInput("統合先のケースが見つかりません。", field="into_case_id")
    across = not may_see(caller.role, caller.scope, target["area"])
    if approved is None and across and rules.merge_needs(source["area"], target["area"], reference.approvals):
        raise rules.approval_required(rules.MERGE, "統合先は別の圏域のケースです。", source["version"])
    return target


async def claim(update: CaseUpdate, approved: Approved, move: str, result_id: str | None = None) -> None:
    """Mark the approved request carried out, in the move's own transaction: a second
    carrying-out finds it done and changes nothing."""
    repo = ApprovalRepository(update.uow.db)
    row = await repo.get(approved.approval_id, for_update=True)
    if row is None or row["move"] != move or row["case_id"] != update.case["id"]:
        raise Conflict("この承認はこの操作のものではありません。")
    rules.move(row["kind"], row["status"], rules.CARRIED_OUT)
    now = update.uow.clock.now()
    await repo.update(row["id"], status=rules.CARRIED_OUT, carried_out_at=now, outcome=result_id, updated_at=now)
    update.emit(
        ApprovalCarriedOut(
            approval_id=row["id"],
            case_id=row["case_id"],
            area=row["area"],
            move=move,
            outcome="carried_out",
            result_id=result_id,
        )
    )


async def _end_watch(update: CaseUpdate) -> None:
    case, now = update.case, update.uow.clock.now()
    plan_id = case["watch_plan_id"]
    await WatchRepository(update.uow.db).update_plan(
        plan_id, status=ENDED, ended_at=now, next_due_at=None, updated_at=now
    )
    update.set(watch_plan_id=None)
    update.emit(WatchEnded(case_id=case["id"], plan_id=plan_id, area=case["area"]))


async def add_request(
    update: CaseUpdate,
    reference: ReferenceData,
    *,
    kind: str,
    move: str,
    params: dict[str, Any],
    reason: str,
    requested_by: str,
) -> str:
    """A request in the supervisor's queue, due ``approvals.decide`` business days on."""
    case, now = update.case, update.uow.clock.now()
    policy = reference.followups
    decide_by: datetime = policy.approval_deadlines().decide.after(now, policy.calendar(None))
    approval_id = new_event_id()
    await ApprovalRepository(update.uow.db).add(
        {
            "id": approval_id,
            "case_id": case["id"],
            "area": case["area"],
            "kind": kind,
            "move": move,
            "status": rules.PENDING,
            "params": params,
            "reason": reason,
            "requested_by": requested_by,
            "requested_at": now,
            "decide_by": decide_by,
            "updated_at": now,
        }
    )
    update.touch()
    update.emit(
        ApprovalRequested(
            approval_id=approval_id,
            case_id=case["id"],
            area=case["area"],
            kind=kind,
            move=move,
            request_reason=reason,
            requested_by=requested_by,
            decide_by=decide_by.isoformat(),
        )
    )
    return approval_id
