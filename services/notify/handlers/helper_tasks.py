"""Community helpers' tasks in notify: the helper hears of a new or withdrawn task, the
coordinator of a declined one; a task with a due day is a follow-up timer on the same
ladder as a referral's steps (helper → coordinator → supervisor, the policy's
``helper_tasks`` spans), ended when the task ends; a worrying check-in alerts the area's
coordinators as a watch plan's does. Inside the consumer's transaction."""

from __future__ import annotations

from datetime import date

from services.notify.adapters.followup_repository import FollowupRepository
from services.notify.adapters.repository import ProjectionRepository
from services.notify.domain.routing import HELPER_TASK, checkin_notices, helper_task_notices
from services.notify.handlers.context import NotifyContext
from services.notify.handlers.notifying import record_notification
from shared.clock import as_utc, jst_text
from shared.db.uow import UnitOfWork
from shared.events import Envelope, new_event_id
from shared.events.helper import (
    HelperTaskAccepted,
    HelperTaskAssigned,
    HelperTaskCancelled,
    HelperTaskCheckedIn,
    HelperTaskDeclined,
    HelperTaskDone,
    HelperTaskMoved,
)
from shared.logging import get_logger

log = get_logger(__name__)

ENDING = {HelperTaskDone.TYPE: "done", HelperTaskDeclined.TYPE: "cancelled", HelperTaskCancelled.TYPE: "cancelled"}
MOVES = (HelperTaskAccepted, HelperTaskDeclined, HelperTaskDone, HelperTaskCancelled)


async def on_assigned(ctx: NotifyContext, envelope: Envelope, uow: UnitOfWork) -> None:
    task = envelope.payload_as(HelperTaskAssigned)
    calendar = ctx.policy.calendar(None)
    due = calendar.end_of_day(date.fromisoformat(task.due_on)) if task.due_on else None
    await _tell(
        ctx, uow, envelope, task.case_id, task.area, task.helper_id, task.kind, due_text=jst_text(due) if due else None
    )
    if due is None:
        return
    added = await FollowupRepository(uow.db).add_one_round(
        id=new_event_id(),
        subject=HELPER_TASK,
        key=task.task_id,
        case_id=task.case_id,
        owner=task.helper_id,
        area=await _area(uow, task.case_id, task.area),
        due=due,
        started_at=as_utc(envelope.occurred_at),
        correlation_id=envelope.correlation_id,
        watcher_kind="helper",
    )
    if added:
        log.info("helper_task_scheduled", task_id=task.task_id, due_at=due.isoformat())


async def on_moved(ctx: NotifyContext, envelope: Envelope, uow: UnitOfWork) -> None:
    """Declined, done or withdrawn: nothing more to chase; who must know is told."""
    model = next(m for m in MOVES if m.TYPE == envelope.type)
    task: HelperTaskMoved = envelope.payload_as(model)
    status = ENDING.get(envelope.type)
    if status is not None:
        await FollowupRepository(uow.db).end_pending(
            task.task_id, [HELPER_TASK], status, uow.clock.now(), envelope.event_id
        )
    await _tell(ctx, uow, envelope, task.case_id, task.area, task.helper_id, task.kind)


async def on_checked_in(ctx: NotifyContext, envelope: Envelope, uow: UnitOfWork) -> None:
    checkin = envelope.payload_as(HelperTaskCheckedIn)
    area = await _area(uow, checkin.case_id, checkin.area)
    values = {"area": area, "case_number": await _case_number(uow, checkin.case_id)}
    all_areas = tuple(sorted(a.id for a in ctx.reference.areas))
    for notice in checkin_notices(checkin.outcome, area, all_areas):
        await record_notification(
            uow,
            ctx,
            notice,
            values,
            about_event_id=envelope.event_id,
            correlation_id=envelope.correlation_id,
            case_id=checkin.case_id,
        )


async def _tell(
    ctx: NotifyContext,
    uow: UnitOfWork,
    envelope: Envelope,
    case_id: str,
    area: str,
    helper_id: str,
    kind: str,
    *,
    due_text: str | None = None,
) -> None:
    area = await _area(uow, case_id, area)
    values = {
        "task_kind": kind,
        "deadline": due_text or "なし",
        "helper_id": helper_id,
        "area": area,
        "case_number": await _case_number(uow, case_id),
    }
    for notice in helper_task_notices(envelope.type, helper_id=helper_id, area=area):
        await record_notification(
            uow,
            ctx,
            notice,
            values,
            about_event_id=envelope.event_id,
            correlation_id=envelope.correlation_id,
            case_id=case_id,
        )


async def _area(uow: UnitOfWork, case_id: str, fallback: str) -> str:
    """The case's events are the authority on its area (it may have moved)."""
    projected = await ProjectionRepository(uow.db).case(case_id)
    return (projected.area if projected is not None and projected.area else None) or fallback


async def _case_number(uow: UnitOfWork, case_id: str) -> str:
    projected = await ProjectionRepository(uow.db).case(case_id)
    return (projected.case_number if projected else None) or case_id
