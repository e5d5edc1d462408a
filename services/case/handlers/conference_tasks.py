"""A case conference's tasks: set at a meeting held (an owner among those at the table, a
due day notify chases), and closed — done by its owner or the meeting's coordinator, or
cancelled by the coordinator. One event on the task's case's timeline each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.case.adapters.conferences import ConferenceRepository
from services.case.domain import conferences as rules
from services.case.handlers.conferences import check_version, common_of, emit, load, today_of, writable
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, Forbidden, NotFound
from shared.events import new_event_id
from shared.events.conference import ConferenceTaskClosed, ConferenceTaskSet
from shared.identity import Identity
from shared.reference import ReferenceData


@dataclass(frozen=True)
class TaskIn:
    case_id: str
    title: str
    owner_kind: str
    owner_id: str
    due_on: date


async def add_task(
    uow: UnitOfWork,
    reference: ReferenceData,
    conference_id: str,
    task: TaskIn,
    version: int,
    caller: Identity,
    cid: str,
) -> tuple[str, int]:
    """A task for someone at the table, about a case discussed, due by the end of ``due_on``;
    set once the meeting is held."""
    today = today_of(uow)
    rules.check_due_on(task.due_on, today)
    async with uow:
        meeting = await writable(uow, conference_id, version, caller)
        if meeting.row["status"] not in (rules.HELD, rules.MINUTES_RECORDED):
            raise Conflict("役割は開催した会議で決めます。", current_version=meeting.row["version"])
        by_id = {c["case_id"]: c for c in meeting.cases}
        rules.check_discussed(task.case_id, by_id, "case_id")
        rules.check_owner(task.owner_kind, task.owner_id, meeting.audience)
        task_id = new_event_id()
        now = uow.clock.now()
        repo = ConferenceRepository(uow.db)
        await repo.add_task(
            {
                "id": task_id,
                "conference_id": conference_id,
                "case_id": task.case_id,
                "title": task.title,
                "owner_kind": task.owner_kind,
                "owner_id": task.owner_id,
                "due_on": task.due_on,
                "status": rules.OPEN,
                "created_by": caller.subject,
                "created_at": now,
            }
        )
        due_at = reference.followups.calendar(None).end_of_day(task.due_on)
        event = ConferenceTaskSet(
            **common_of(meeting, by_id[task.case_id]),
            task_id=task_id,
            owner_kind=task.owner_kind,
            owner_id=task.owner_id,
            title=task.title,
            due_on=task.due_on.isoformat(),
            due_at=due_at.isoformat(),
        )
        await emit(uow, meeting, by_id[task.case_id], event, caller, cid)
        new_version = await repo.save(meeting.row, {"updated_at": now})
        await uow.commit()
    return task_id, new_version


async def close_task(
    uow: UnitOfWork, conference_id: str, task_id: str, outcome: str, version: int, caller: Identity, cid: str
) -> int:
    """Done (by its owner or a coordinator of the meeting) or cancelled (a coordinator)."""
    async with uow:
        if caller.role == "supervisor":
            raise Forbidden("監督者は会議の記録を閲覧のみできます。")
        meeting = await load(uow, conference_id, for_update=True)
        audience = meeting.audience
        if not rules.may_read(caller.role, caller.scope, caller.subject, audience):
            raise NotFound("この会議は見つかりません(または閲覧権限がありません)。")
        check_version(meeting.row, version)
        repo = ConferenceRepository(uow.db)
        task = await repo.task(conference_id, task_id)
        if task is None:
            raise NotFound("この役割は見つかりません。")
        owner = (task["owner_kind"], task["owner_id"])
        allowed = (
            rules.may_close_task(caller.role, caller.scope, caller.subject, *owner, audience)
            if outcome == rules.DONE
            else rules.may_write(caller.role, caller.subject, audience)
        )
        if not allowed:
            raise Forbidden("この役割を完了・取消できるのは、役割を持つ人と会議のコーディネーターです。")
        status = rules.move_task(task["status"], outcome)
        now = uow.clock.now()
        await repo.update_task(task_id, status=status, closed_at=now, closed_by=caller.subject)
        case = next(c for c in meeting.cases if c["case_id"] == task["case_id"])
        event = ConferenceTaskClosed(**common_of(meeting, case), task_id=task_id, outcome=outcome)
        await emit(uow, meeting, case, event, caller, cid)
        new_version = await repo.save(meeting.row, {"updated_at": now})
        await uow.commit()
    return new_version
