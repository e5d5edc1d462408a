"""A supervisor's decision on a request, carrying out an approved move, withdrawing a
request, and reading the queue and a request."""

from __future__ import annotations

from typing import Any

from services.case.adapters.approvals import ApprovalRepository
from services.case.adapters.repository import CaseRepository
from services.case.domain import approvals as rules
from services.case.domain import status as lifecycle
from services.case.domain.queue import visible_areas
from services.case.handlers import commands, merging, referrals
from services.case.handlers.approval_gates import Approved
from services.case.handlers.common import CaseUpdate, load_visible, read_snapshot, require_reader, require_writer
from services.case.handlers.reads import record_read
from shared.db.uow import UnitOfWork
from shared.errors import DomainError, InvalidInput, NotFound, StaleVersion
from shared.events.approvals import ApprovalCarriedOut, ApprovalDecided, ApprovalWithdrawn
from shared.identity import Identity
from shared.reference import ReferenceData

DECISIONS = {"approve": rules.APPROVED, "refuse": rules.REFUSED}


async def _load(uow: UnitOfWork, approval_id: str, caller: Identity) -> tuple[dict[str, Any], dict[str, Any]]:
    """The request and its case, locked; a request of a case the caller cannot see is not found."""
    row = await ApprovalRepository(uow.db).get(approval_id, for_update=True)
    if row is None:
        raise NotFound("この承認依頼は見つかりません。")
    try:
        case = await load_visible(uow, row["case_id"], caller, for_update=True)
    except NotFound as exc:
        raise NotFound("この承認依頼は見つかりません。") from exc
    return row, case


async def decide(
    uow: UnitOfWork,
    reference: ReferenceData,
    approval_id: str,
    decision: str,
    reason: str,
    caller: Identity,
    correlation_id: str,
) -> dict[str, Any]:
    """Approve or refuse, with a reason. An approved move is then carried out by the
    system; approving a request approved before but not carried out (a crash in
    between) carries it out now."""
    rules.check_decider(caller.role)
    if decision not in DECISIONS:
        raise InvalidInput("判断は approve(承認)か refuse(却下)です。", field="decision")
    target = DECISIONS[decision]
    async with uow:
        row, case = await _load(uow, approval_id, caller)
        retry = row["kind"] == rules.APPROVAL and row["status"] == rules.APPROVED and target == rules.APPROVED
        if not retry:
            rules.move(row["kind"], row["status"], target)
            now = uow.clock.now()
            await ApprovalRepository(uow.db).update(
                approval_id,
                status=target,
                decided_by=caller.subject,
                decided_at=now,
                decision_reason=reason,
                updated_at=now,
            )
            update = CaseUpdate(uow, case, actor=caller.actor, correlation_id=correlation_id)
            update.touch()
            update.emit(
                ApprovalDecided(
                    approval_id=approval_id,
                    case_id=row["case_id"],
                    area=row["area"],
                    kind=row["kind"],
                    move=row["move"],
                    decision="approved" if target == rules.APPROVED else "refused",
                    decision_reason=reason,
                    requested_by=row["requested_by"],
                )
            )
            await update.save()
            await uow.commit()
    if row["kind"] == rules.APPROVAL and target == rules.APPROVED:
        await carry_out(uow, reference, row, caller, correlation_id)
    async with uow:
        done = await ApprovalRepository(uow.db).get(approval_id)
    assert done is not None
    return done


async def _current_version(uow: UnitOfWork, case_id: str) -> int:
    async with uow:
        case = await CaseRepository(uow.db).get(case_id)
    assert case is not None
    return int(case["version"])


async def carry_out(
    uow: UnitOfWork, reference: ReferenceData, row: dict[str, Any], caller: Identity, correlation_id: str
) -> None:
    """The approved move, through the direct move's own command (which claims the
    request in its transaction). Refused now — the case changed meanwhile — the request
    is marked failed with the refusal, for the coordinator to see."""
    approved = Approved(row["id"], row["move"], row["requested_by"])
    params, case_id = row["params"], row["case_id"]
    for attempt in (1, 2):  # a change racing in between costs one re-read of the version
        version = await _current_version(uow, case_id)
        try:
            if row["move"] == rules.SHARE:
                await referrals.request_referral(
                    uow,
                    reference,
                    case_id,
                    params["agency_id"],
                    params["purpose"],
                    params["share"],
                    version,
                    caller,
                    correlation_id,
                    params.get("member_id"),
                    approved=approved,
                )
            elif row["move"] in (rules.CLOSE, rules.REOPEN):
                target = lifecycle.CLOSED if row["move"] == rules.CLOSE else lifecycle.IN_HAND
                await commands.change_status(
                    uow,
                    case_id,
                    target,
                    params.get("status_reason"),
                    version,
                    caller,
                    correlation_id,
                    reference=reference,
                    approved=approved,
                )
            else:
                await merging.merge(
                    uow,
                    case_id,
                    params["into_case_id"],
                    version,
                    caller,
                    correlation_id,
                    reference=reference,
                    approved=approved,
                )
            return
        except StaleVersion:
            if attempt == 2:
                await _failed(
                    uow, row["id"], "ケースが同時に更新されたため実行できませんでした。", caller, correlation_id
                )
        except DomainError as exc:
            await _failed(uow, row["id"], exc.message, caller, correlation_id)
            return


async def _failed(uow: UnitOfWork, approval_id: str, message: str, caller: Identity, correlation_id: str) -> None:
    async with uow:
        row, case = await _load(uow, approval_id, caller)
        if row["status"] != rules.APPROVED:
            return  # carried out (or marked) by a racing attempt
        rules.move(row["kind"], row["status"], rules.FAILED)
        now = uow.clock.now()
        await ApprovalRepository(uow.db).update(approval_id, status=rules.FAILED, outcome=message, updated_at=now)
        update = CaseUpdate(uow, case, actor=caller.actor, correlation_id=correlation_id)
        update.touch()
        update.emit(
            ApprovalCarriedOut(
                approval_id=approval_id,
                case_id=row["case_id"],
                area=row["area"],
                move=row["move"],
                outcome="failed",
                message=message,
            )
        )
        await update.save()
        await uow.commit()


async def withdraw(uow: UnitOfWork, approval_id: str, caller: Identity, correlation_id: str) -> dict[str, Any]:
    """The requesting coordinator takes back a request not yet decided."""
    require_writer(caller)
    async with uow:
        row, case = await _load(uow, approval_id, caller)
        rules.check_withdrawer(caller.role, caller.subject, row["requested_by"])
        rules.move(row["kind"], row["status"], rules.WITHDRAWN)
        now = uow.clock.now()
        await ApprovalRepository(uow.db).update(approval_id, status=rules.WITHDRAWN, updated_at=now)
        update = CaseUpdate(uow, case, actor=caller.actor, correlation_id=correlation_id)
        update.touch()
        update.emit(ApprovalWithdrawn(approval_id=approval_id, case_id=row["case_id"], area=row["area"]))
        await update.save()
        await uow.commit()
    return {**row, "status": rules.WITHDRAWN}


async def queue(
    uow: UnitOfWork, caller: Identity, statuses: list[str], offset: int, limit: int
) -> tuple[list[dict[str, Any]], int, dict[str, tuple[str, str]], Any]:
    """The requests, oldest waiting first: a supervisor's are every area's, a
    coordinator's their own area's. No reasons (the request's own read shows them)."""
    require_reader(caller)
    areas = visible_areas(caller.role, caller.scope)
    area = caller.scope if areas is not None else None
    async with uow:
        await read_snapshot(uow)
        rows, total = await ApprovalRepository(uow.db).page(statuses=statuses, area=area, offset=offset, limit=limit)
        numbers = await CaseRepository(uow.db).numbers_and_areas(sorted({r["case_id"] for r in rows}))
    return rows, total, numbers, uow.clock.now()


async def read(uow: UnitOfWork, approval_id: str, caller: Identity) -> tuple[dict[str, Any], dict[str, Any]]:
    """A request with its reasons: a read of the case, recorded in its read log."""
    require_reader(caller)
    async with uow:
        await read_snapshot(uow)
        row = await ApprovalRepository(uow.db).get(approval_id)
        if row is None:
            raise NotFound("この承認依頼は見つかりません。")
        try:
            case = await load_visible(uow, row["case_id"], caller)
        except NotFound as exc:
            raise NotFound("この承認依頼は見つかりません。") from exc
        await record_read(uow, row["case_id"], caller, "approval")
    return row, case


async def of_case(uow: UnitOfWork, case_id: str, caller: Identity) -> list[dict[str, Any]]:
    """The case's requests, newest first (with reasons): a read of the case, logged."""
    require_reader(caller)
    async with uow:
        await read_snapshot(uow)
        await load_visible(uow, case_id, caller)
        rows = await ApprovalRepository(uow.db).of_cases([case_id])
        await record_read(uow, case_id, caller, "approvals")
    return rows
