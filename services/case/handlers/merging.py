"""Merging a case into another (a likely match confirmed by the coordinator), and
undoing it. A merge moves nothing: the merged case keeps its rows and points at its
target, and the target reads its own records plus those of the cases merged into it.
Undoing clears the pointer — nothing has to be put back."""

from __future__ import annotations

from services.case.adapters.repository import CaseRepository
from services.case.domain import moves
from services.case.domain.approvals import MERGE
from services.case.handlers.approval_gates import Approved, claim, merge_target, mover
from services.case.handlers.common import CaseUpdate, check_version, check_workable, load_visible, require_writer
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, InvalidInput, NotFound
from shared.events import ConsultationLinked, new_event_id
from shared.events.case import CaseMerged, CaseMergeUndone
from shared.identity import Identity
from shared.reference import ReferenceData


async def merge(
    uow: UnitOfWork,
    case_id: str,
    into_case_id: str,
    version: int,
    caller: Identity,
    correlation_id: str,
    *,
    reference: ReferenceData,
    approved: Approved | None = None,
) -> int:
    """Merge ``case_id`` (the source) into ``into_case_id``. Returns the source's version.
    Into a case of another area: only on a supervisor's approval (``approved``)."""
    actor = mover(caller, approved)
    if case_id == into_case_id:
        raise InvalidInput("同じケースには統合できません。", field="into_case_id")
    async with uow:
        repo = CaseRepository(uow.db)
        source = await load_visible(uow, case_id, caller, for_update=True)
        check_version(source, version)
        check_workable(source)
        moves.check_not_watched(moves.CaseState.of(source))
        target = await merge_target(uow, caller, source, into_case_id, reference, approved)
        check_workable(target)
        if await repo.merged_children(case_id):
            raise Conflict(
                "このケースには統合されたケースがあります。統合先にはできても、統合元にはできません。",
                current_version=source["version"],
            )
        merge_id = new_event_id()
        now = uow.clock.now()
        await repo.add_merge(
            {
                "id": merge_id,
                "source_case_id": case_id,
                "target_case_id": into_case_id,
                "source_status": source["status"],
                "merged_by": caller.subject,
                "merged_at": now,
            }
        )
        await repo.set_offer_status(case_id, into_case_id, "merged")
        source_update = CaseUpdate(uow, source, actor=actor, correlation_id=correlation_id)
        if approved is not None:
            await claim(source_update, approved, MERGE, result_id=merge_id)
        source_update.set(merged_into=into_case_id)
        new_version = await source_update.save()
        target_update = CaseUpdate(uow, target, actor=actor, correlation_id=correlation_id)
        target_update.emit(CaseMerged(case_id=into_case_id, source_case_id=case_id, merge_id=merge_id))
        # The reporters of the merged case now follow the target's stage.
        for consultation in await repo.consultations_of([case_id]):
            target_update.emit(
                ConsultationLinked(
                    case_id=into_case_id,
                    consultation_id=consultation["consultation_id"],
                    reference=consultation["reference"],
                    reporter_id=consultation["reporter_id"],
                    reason="同じ人・世帯のケースとしてコーディネーターが統合しました。",
                )
            )
        target_update.set(
            priority=min(target["priority"], source["priority"], key=("緊急", "高", "通常").index),
            categories=list(dict.fromkeys([*target["categories"], *source["categories"]])),
        )
        await target_update.save()
        await uow.commit()
    return new_version


async def undo_merge(uow: UnitOfWork, case_id: str, version: int, caller: Identity, correlation_id: str) -> int:
    """Undo the merge of ``case_id`` into another: it is its own case again."""
    require_writer(caller)
    async with uow:
        repo = CaseRepository(uow.db)
        source = await load_visible(uow, case_id, caller, for_update=True)
        check_version(source, version)
        active = await repo.active_merge_of(case_id)
        if active is None or not source["merged_into"]:
            raise Conflict("このケースは統合されていません。", current_version=source["version"])
        target = await repo.get(active["target_case_id"], for_update=True)
        assert target is not None
        await repo.undo_merge(active["id"], caller.subject, uow.clock.now())
        source_update = CaseUpdate(uow, source, actor=caller.actor, correlation_id=correlation_id)
        source_update.set(merged_into=None)
        source_update.emit(CaseMergeUndone(case_id=case_id, source_case_id=case_id, merge_id=active["id"]))
        for consultation in await repo.consultations_of([case_id]):
            source_update.emit(
                ConsultationLinked(
                    case_id=case_id,
                    consultation_id=consultation["consultation_id"],
                    reference=consultation["reference"],
                    reporter_id=consultation["reporter_id"],
                    reason="ケースの統合が取り消されたため、元のケースに戻しました。",
                )
            )
        new_version = await source_update.save()
        target_update = CaseUpdate(uow, target, actor=caller.actor, correlation_id=correlation_id)
        target_update.emit(CaseMergeUndone(case_id=target["id"], source_case_id=case_id, merge_id=active["id"]))
        await target_update.save()
        await uow.commit()
    return new_version


async def dismiss_offer(
    uow: UnitOfWork, case_id: str, offer_id: str, version: int, caller: Identity, correlation_id: str
) -> int:
    """The coordinator judged a likely match to be a different person or household."""
    require_writer(caller)
    async with uow:
        repo = CaseRepository(uow.db)
        case = await load_visible(uow, case_id, caller, for_update=True)
        check_version(case, version)
        offer = await repo.get_offer(offer_id)
        if offer is None or offer["case_id"] != case_id:
            raise NotFound("この統合候補は見つかりません。")
        if offer["status"] != "offered":
            raise Conflict(f"この統合候補はすでに処理済みです({offer['status']})。", current_version=case["version"])
        await repo.set_offer_status(case_id, None, "dismissed", offer_id=offer_id)
        update = CaseUpdate(uow, case, actor=caller.actor, correlation_id=correlation_id)
        update.touch()
        new_version = await update.save()
        await uow.commit()
    return new_version
