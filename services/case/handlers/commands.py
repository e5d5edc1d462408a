"""Coordinator commands on a case: ownership, status, triage, routing, consent,
dealing with a declined referral. One transaction each, guarded by the version."""

from __future__ import annotations

from services.case.adapters.records import ReferralRepository
from services.case.domain import moves
from services.case.domain import status as lifecycle
from services.case.domain.queue import check_priority
from services.case.handlers.common import (
    CaseUpdate,
    check_version,
    check_workable,
    family_ids,
    load_visible,
    require_writer,
)
from shared.db.uow import UnitOfWork
from shared.errors import AlreadyDone, Conflict, InvalidInput
from shared.events import CaseAssigned, CaseStatusChanged
from shared.events.case import AttentionCleared, CaseMoved, CaseTriaged, ConsentRecorded
from shared.identity import Identity
from shared.reference import CITY_WIDE, Coordinator, ReferenceData


def registered_coordinator(reference: ReferenceData, coordinator_id: str) -> Coordinator:
    coordinator = next((c for c in reference.coordinators if c.id == coordinator_id), None)
    if coordinator is None:
        raise InvalidInput(f"コーディネーター「{coordinator_id}」は登録されていません。", field="coordinator_id")
    return coordinator


async def assign(
    uow: UnitOfWork,
    reference: ReferenceData,
    case_id: str,
    coordinator_id: str,
    version: int,
    caller: Identity,
    correlation_id: str,
) -> int:
    """Take or hand over ownership. A case waiting in the city-wide queue moves to the
    area of the coordinator it is given to. A received case is now in hand (対応中)."""
    require_writer(caller)
    coordinator = registered_coordinator(reference, coordinator_id)
    async with uow:
        case = await load_visible(uow, case_id, caller, for_update=True)
        check_version(case, version)
        check_workable(case)
        if coordinator.area != case["area"] and case["area"] != CITY_WIDE:
            raise InvalidInput(
                f"コーディネーター「{coordinator_id}」は{case['area']}の担当ではありません"
                f"(担当圏域: {coordinator.area})。",
                field="coordinator_id",
            )
        if case["coordinator_id"] == coordinator_id:
            raise AlreadyDone("すでにこのコーディネーターが担当しています。", current_version=case["version"])
        update = CaseUpdate(uow, case, actor=caller.actor, correlation_id=correlation_id)
        if case["area"] != coordinator.area:
            update.set(area=coordinator.area)
            update.emit(CaseMoved(case_id=case_id, from_area=case["area"], to_area=coordinator.area))
        update.set(coordinator_id=coordinator_id)
        if case["assigned_at"] is None:
            update.set(assigned_at=uow.clock.now())
        update.emit(
            CaseAssigned(
                case_id=case_id,
                area=coordinator.area,
                coordinator_id=coordinator_id,
                previous_coordinator_id=case["coordinator_id"],
            )
        )
        if case["status"] == lifecycle.RECEIVED:
            _status_change(update, lifecycle.IN_HAND, "担当決定")
        new_version = await update.save()
        await uow.commit()
    return new_version


def _status_change(update: CaseUpdate, target: str, reason: str | None) -> None:
    case = update.case
    current = update.changes.get("status", case["status"])
    new = lifecycle.move(current, target)
    update.set(status=new)
    if new == lifecycle.CLOSED:
        update.set(closed_at=update.uow.clock.now(), decision_needed_at=None)  # 終結 is the decision
    elif current == lifecycle.CLOSED:
        update.set(closed_at=None)
    update.emit(
        CaseStatusChanged(case_id=case["id"], area=case["area"], from_status=current, to_status=new, reason=reason)
    )


async def change_status(
    uow: UnitOfWork, case_id: str, target: str, reason: str | None, version: int, caller: Identity, correlation_id: str
) -> int:
    """Move the case through its lifecycle; reopening is 終結 → 対応中."""
    require_writer(caller)
    lifecycle.check_status(target)
    async with uow:
        case = await load_visible(uow, case_id, caller, for_update=True)
        check_version(case, version)
        moves.check_status_change(moves.CaseState.of(case), target)
        update = CaseUpdate(uow, case, actor=caller.actor, correlation_id=correlation_id)
        _status_change(update, target, reason)
        new_version = await update.save()
        await uow.commit()
    return new_version


async def triage(
    uow: UnitOfWork,
    reference: ReferenceData,
    case_id: str,
    priority: str | None,
    categories: list[str] | None,
    version: int,
    caller: Identity,
    correlation_id: str,
) -> int:
    require_writer(caller)
    if priority is None and categories is None:
        raise InvalidInput("優先度か相談分類のどちらかを指定してください。", field="priority")
    if priority is not None:
        check_priority(priority)
    if categories is not None:
        unknown = [c for c in categories if c not in reference.ids("categories")]
        if unknown or not categories:
            raise InvalidInput(
                f"相談分類 {unknown} は登録されていません。" if unknown else "相談分類を1つ以上選んでください。",
                field="categories",
            )
    async with uow:
        case = await load_visible(uow, case_id, caller, for_update=True)
        check_version(case, version)
        check_workable(case)
        update = CaseUpdate(uow, case, actor=caller.actor, correlation_id=correlation_id)
        new_priority = priority or case["priority"]
        new_categories = list(dict.fromkeys(categories)) if categories is not None else case["categories"]
        update.set(priority=new_priority, categories=new_categories)
        if case["triaged_at"] is None:
            update.set(triaged_at=uow.clock.now())
        update.emit(CaseTriaged(case_id=case_id, area=case["area"], priority=new_priority, categories=new_categories))
        new_version = await update.save()
        await uow.commit()
    return new_version


async def move_area(
    uow: UnitOfWork,
    reference: ReferenceData,
    case_id: str,
    area: str,
    version: int,
    caller: Identity,
    correlation_id: str,
) -> int:
    """Route a case to another daily-life area's queue (its owner is released)."""
    require_writer(caller)
    if area not in reference.area_ids():
        raise InvalidInput(
            f"圏域「{area}」はありません(使える値: {' / '.join(sorted(reference.area_ids()))})。", field="area"
        )
    async with uow:
        case = await load_visible(uow, case_id, caller, for_update=True)
        check_version(case, version)
        check_workable(case)
        if case["area"] == area:
            raise Conflict(f"このケースはすでに{area}のケースです。", current_version=case["version"])
        update = CaseUpdate(uow, case, actor=caller.actor, correlation_id=correlation_id)
        update.set(area=area, coordinator_id=None)
        update.emit(CaseMoved(case_id=case_id, from_area=case["area"], to_area=area))
        new_version = await update.save()
        await uow.commit()
    return new_version


async def record_consent(
    uow: UnitOfWork,
    case_id: str,
    consent: str,
    legal_ground: str | None,
    version: int,
    caller: Identity,
    correlation_id: str,
) -> int:
    """Consent (同意) or, without it, the legal ground for sharing (risk to life, abuse)."""
    require_writer(caller)
    async with uow:
        case = await load_visible(uow, case_id, caller, for_update=True)
        check_version(case, version)
        check_workable(case)
        update = CaseUpdate(uow, case, actor=caller.actor, correlation_id=correlation_id)
        ground = (legal_ground or "").strip() or None
        update.set(consent=consent, legal_ground=ground)
        update.emit(ConsentRecorded(case_id=case_id, consent=consent, legal_ground_recorded=ground is not None))
        new_version = await update.save()
        await uow.commit()
    return new_version


async def clear_attention(uow: UnitOfWork, case_id: str, version: int, caller: Identity, correlation_id: str) -> int:
    """The coordinator has dealt with the declined referrals that needed attention."""
    require_writer(caller)
    async with uow:
        case = await load_visible(uow, case_id, caller, for_update=True)
        check_version(case, version)
        referrals = ReferralRepository(uow.db)
        flagged = [r["id"] for r in await referrals.of_cases(await family_ids(uow, case_id)) if r["needs_attention"]]
        if not flagged:
            raise Conflict("対応が必要な辞退はありません。", current_version=case["version"])
        for referral_id in flagged:
            await referrals.update(referral_id, needs_attention=False, updated_at=uow.clock.now())
        update = CaseUpdate(uow, case, actor=caller.actor, correlation_id=correlation_id)
        update.emit(AttentionCleared(case_id=case_id, referral_ids=flagged))
        new_version = await update.save()
        await uow.commit()
    return new_version
