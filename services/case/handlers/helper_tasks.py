"""Community helpers' tasks: the coordinator gives and withdraws them on the case; the
helper takes one on or declines it, records check-ins and reports it done. Each move
changes the case (its version guards the coordinator's) and lands on its timeline and
the stream, where notify tells the helper and chases a task past its due day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from services.case.adapters.helper_tasks import HelperRegistry, HelperTaskRepository
from services.case.adapters.repository import CaseRepository
from services.case.domain import helper_tasks as rules
from services.case.domain.moves import CaseState, check_workable
from services.case.handlers.common import CaseUpdate, check_version, family_ids, load_visible, require_writer
from shared.clock import JST
from shared.db.uow import UnitOfWork
from shared.errors import Forbidden, NotFound
from shared.events import new_event_id
from shared.events.helper import (
    HelperTaskAccepted,
    HelperTaskAssigned,
    HelperTaskCancelled,
    HelperTaskCheckedIn,
    HelperTaskDeclined,
    HelperTaskDone,
    HelperTaskMoved,
)
from shared.identity import Identity
from shared.plausible import check_moment

HELPER_MOVES: dict[str, type[HelperTaskMoved]] = {
    "accept": HelperTaskAccepted,
    "decline": HelperTaskDeclined,
    "done": HelperTaskDone,
}


@dataclass(frozen=True)
class TaskIn:
    helper_id: str
    kind: str
    instructions: str
    share: list[str]
    due_on: date | None


async def assign(
    uow: UnitOfWork, case_id: str, task: TaskIn, version: int, caller: Identity, correlation_id: str
) -> tuple[str, int]:
    """Checks the helper (registered in the case's area), the case (open, in someone's
    hands) and what may be shared (the kind's needs, then consent); records the task."""
    require_writer(caller)
    now = uow.clock.now()
    rules.check_kind(task.kind)
    due_on = rules.check_due(task.due_on, now.astimezone(JST).date())
    async with uow:
        case = await load_visible(uow, case_id, caller, for_update=True)
        check_version(case, version)
        rules.check_assign(CaseState.of(case))
        on_file = [h for h in await HelperRegistry(uow.db).helpers() if h.account_id == task.helper_id]
        helper = next((h for h in on_file if h.area == case["area"]), on_file[0] if on_file else None)
        rules.check_helper(helper, task.helper_id, case["area"])
        fields = rules.check_task_share(task.kind, task.share, case["consent"], case["legal_ground"])
        task_id = new_event_id()
        await HelperTaskRepository(uow.db).add(
            {
                "id": task_id,
                "case_id": case_id,
                "helper_id": task.helper_id,
                "area": case["area"],
                "kind": task.kind,
                "status": rules.ASSIGNED,
                "instructions": task.instructions,
                "shared_fields": fields,
                "due_on": due_on,
                "assigned_by": caller.subject,
                "assigned_at": now,
                "updated_at": now,
            }
        )
        update = CaseUpdate(uow, case, actor=caller.actor, correlation_id=correlation_id)
        update.touch()
        update.emit(
            HelperTaskAssigned(
                case_id=case_id,
                task_id=task_id,
                area=case["area"],
                helper_id=task.helper_id,
                kind=task.kind,
                due_on=due_on.isoformat() if due_on else None,
                shared_fields=fields,
                instructions=task.instructions,
            )
        )
        new_version = await update.save()
        await uow.commit()
    return task_id, new_version


async def cancel(
    uow: UnitOfWork,
    case_id: str,
    task_id: str,
    reason: str | None,
    version: int,
    caller: Identity,
    correlation_id: str,
) -> int:
    """The coordinator withdraws a task not yet ended."""
    require_writer(caller)
    async with uow:
        case = await load_visible(uow, case_id, caller, for_update=True)
        check_version(case, version)
        repo = HelperTaskRepository(uow.db)
        task = await repo.get(task_id, for_update=True)
        if task is None or task["case_id"] not in await family_ids(uow, case_id):
            raise NotFound("この依頼は見つかりません。")
        target = rules.move(task["status"], "cancel", "coordinator")
        now = uow.clock.now()
        await repo.update(task_id, status=target, reason=reason, ended_at=now, updated_at=now)
        update = CaseUpdate(uow, case, actor=caller.actor, correlation_id=correlation_id)
        update.touch()
        update.emit(_moved(HelperTaskCancelled, task, reason))
        new_version = await update.save()
        await uow.commit()
    return new_version


async def helper_move(
    uow: UnitOfWork, task_id: str, action: str, reason: str | None, caller: Identity, correlation_id: str
) -> str:
    """The helper takes the task on, declines it (saying why) or reports it done; returns the new status."""
    rules.check_reason(action, reason)
    async with uow:
        case, task = await helpers_task(uow, task_id, caller)
        target = rules.move(task["status"], action, "helper")
        now = uow.clock.now()
        values: dict[str, Any] = {"status": target, "updated_at": now}
        if target == rules.ACCEPTED:
            values["accepted_at"] = now
        else:
            values.update(ended_at=now, **({"reason": reason} if target == rules.DECLINED else {"note": reason}))
        await HelperTaskRepository(uow.db).update(task_id, **values)
        update = CaseUpdate(uow, case, actor=caller.actor, correlation_id=correlation_id)
        update.touch()
        update.emit(_moved(HELPER_MOVES[action], task, reason))
        await update.save()
        await uow.commit()
    return target


async def check_in(
    uow: UnitOfWork,
    task_id: str,
    checked_at: datetime | None,
    kind: str,
    outcome: str,
    note: str | None,
    caller: Identity,
    correlation_id: str,
) -> str:
    """A visit or call on a task the helper has taken on; its time is plausible (not
    before the task was given, not in the future)."""
    async with uow:
        case, task = await helpers_task(uow, task_id, caller)
        rules.check_recordable(task["status"])
        now = uow.clock.now()
        when = now
        if checked_at is not None:
            when = check_moment(
                checked_at, now=now, field="checked_at", floor=task["assigned_at"], floor_label="依頼を受けた日時"
            )
        checkin_id = new_event_id()
        repo = HelperTaskRepository(uow.db)
        await repo.add_checkin(
            {
                "id": checkin_id,
                "task_id": task_id,
                "case_id": task["case_id"],
                "kind": kind,
                "outcome": outcome,
                "note": note,
                "checked_at": when,
                "recorded_by": caller.subject,
                "recorded_at": now,
            }
        )
        last = task["last_checkin_at"]
        await repo.update(task_id, last_checkin_at=max(when, last) if last else when, updated_at=now)
        update = CaseUpdate(uow, case, actor=caller.actor, correlation_id=correlation_id)
        update.touch()
        update.emit(
            HelperTaskCheckedIn(
                case_id=case["id"],
                task_id=task_id,
                checkin_id=checkin_id,
                area=case["area"],
                helper_id=task["helper_id"],
                kind=kind,
                outcome=outcome,
                checked_at=when.isoformat(),
                note=note,
            )
        )
        await update.save()
        await uow.commit()
    return checkin_id


async def helpers_task(uow: UnitOfWork, task_id: str, caller: Identity) -> tuple[dict[str, Any], dict[str, Any]]:
    """The caller's own task and its (workable) case, locked; anyone else's is not found."""
    if caller.role != "helper":
        raise Forbidden(f"この操作は依頼を受けた地域の支援者のみ行えます(あなたのロール: {caller.role})。")
    task = await HelperTaskRepository(uow.db).get(task_id, for_update=True)
    if task is None or task["helper_id"] != caller.subject:
        raise NotFound("この依頼は見つかりません。")
    case = await CaseRepository(uow.db).get(task["case_id"], for_update=True)
    if case is None:
        raise NotFound("この依頼は見つかりません。")
    if case["merged_into"]:
        # A merged case's tasks are the surviving case's: its events belong there.
        case = await CaseRepository(uow.db).get(case["merged_into"], for_update=True) or case
    check_workable(CaseState.of(case))
    return case, task


def _moved(model: type[HelperTaskMoved], task: dict[str, Any], reason: str | None) -> HelperTaskMoved:
    return model(
        case_id=task["case_id"],
        task_id=task["id"],
        area=task["area"],
        helper_id=task["helper_id"],
        kind=task["kind"],
        remark=reason,
    )
