"""A case conference's tasks in notify: an open task is a follow-up timer on the same
ladder as a referral's steps and a watch plan's check-ins (owner → coordinator →
supervisor, the policy's ``conference_tasks`` spans), due at the end of its due day;
closing the task ends it. Inside the consumer's transaction."""

from __future__ import annotations

from datetime import datetime

from services.notify.adapters.followup_repository import FollowupRepository
from services.notify.adapters.repository import ProjectionRepository
from services.notify.handlers.context import NotifyContext
from services.notify.handlers.followups import TASK
from shared.clock import as_utc
from shared.db.uow import UnitOfWork
from shared.events import Envelope, new_event_id
from shared.events.conference import ConferenceTaskClosed, ConferenceTaskSet
from shared.logging import get_logger

log = get_logger(__name__)


async def on_task_set(ctx: NotifyContext, envelope: Envelope, uow: UnitOfWork) -> None:
    task = envelope.payload_as(ConferenceTaskSet)
    repo = FollowupRepository(uow.db)
    if await repo.latest_round(task.task_id, TASK) is not None:
        return  # already chased (the timer's key is the task)
    projected = await ProjectionRepository(uow.db).case(task.case_id)
    due = as_utc(datetime.fromisoformat(task.due_at))
    await repo.add_one_round(
        id=new_event_id(),
        subject=TASK,
        key=task.task_id,
        case_id=task.case_id,
        owner=task.owner_id,
        # The case's events are the authority on its area (it may have moved).
        area=(projected.area if projected is not None and projected.area else None) or task.area,
        due=due,
        started_at=as_utc(envelope.occurred_at),
        correlation_id=envelope.correlation_id,
        watcher_kind=task.owner_kind,
    )
    log.info("conference_task_scheduled", task_id=task.task_id, due_at=due.isoformat())


async def on_task_closed(ctx: NotifyContext, envelope: Envelope, uow: UnitOfWork) -> None:
    closed = envelope.payload_as(ConferenceTaskClosed)
    status = "done" if closed.outcome == "done" else "cancelled"
    await FollowupRepository(uow.db).end_pending(closed.task_id, [TASK], status, uow.clock.now(), envelope.event_id)
