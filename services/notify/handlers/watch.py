"""Watch plans (見守り) in notify: the next check-in of a plan is a follow-up timer on
the same ladder as a referral's steps (watcher → coordinator → supervisor, the
policy's ``watch`` spans); a check-in ends it and starts the next; a worrying
check-in alerts the area's coordinators at once. Inside the consumer's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.notify.adapters.followup_repository import FollowupRepository
from services.notify.adapters.repository import ProjectionRepository
from services.notify.domain.routing import CHECKIN, checkin_notices
from services.notify.handlers.context import NotifyContext
from services.notify.handlers.followups import WATCH
from services.notify.handlers.notifying import record_notification
from shared.clock import as_utc
from shared.db.uow import UnitOfWork
from shared.events import Envelope, new_event_id
from shared.events.watch import CheckInRecorded, WatchChanged, WatchEnded, WatchStarted
from shared.logging import get_logger

log = get_logger(__name__)


async def on_watch_plan(ctx: NotifyContext, envelope: Envelope, uow: UnitOfWork) -> None:
    """Started or changed: whatever was pending is replaced by the plan's next check-in."""
    model = WatchStarted if envelope.type == WatchStarted.TYPE else WatchChanged
    plan = envelope.payload_as(model)
    await _next(uow, envelope, plan.plan_id, "cancelled")
    await _chase(
        uow, envelope, plan.plan_id, plan.case_id, plan.area, plan.watcher_kind, plan.watcher_id, plan.next_due_at
    )


async def on_watch_ended(ctx: NotifyContext, envelope: Envelope, uow: UnitOfWork) -> None:
    ended = envelope.payload_as(WatchEnded)
    await _next(uow, envelope, ended.plan_id, "cancelled")


async def on_checked_in(ctx: NotifyContext, envelope: Envelope, uow: UnitOfWork) -> None:
    """The check-in done: its timer ends, the next one starts (same watcher); 気になる変化
    and 緊急 go to the area's coordinators now."""
    checkin = envelope.payload_as(CheckInRecorded)
    latest = await _next(uow, envelope, checkin.plan_id, "done")
    if latest is not None:
        await _chase(
            uow,
            envelope,
            checkin.plan_id,
            checkin.case_id,
            checkin.area,
            latest.watcher_kind,
            latest.agency_id,
            checkin.next_due_at,
        )
    case = await ProjectionRepository(uow.db).case(checkin.case_id)
    area = (case.area if case is not None and case.area else None) or checkin.area
    values = {"area": area, "case_number": (case.case_number if case else None) or checkin.case_id}
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


async def _next(uow: UnitOfWork, envelope: Envelope, plan_id: str, status: str) -> Any:
    """End the plan's pending check-in timer (``status``: done or cancelled); returns the
    latest timer of the plan (who watches, which round), if any."""
    repo = FollowupRepository(uow.db)
    await repo.end_pending(plan_id, [CHECKIN], status, uow.clock.now(), envelope.event_id)
    return await repo.latest_round(plan_id, CHECKIN)


async def _chase(
    uow: UnitOfWork,
    envelope: Envelope,
    plan_id: str,
    case_id: str,
    area: str,
    watcher_kind: str | None,
    watcher_id: str,
    next_due_at: str | None,
) -> None:
    if next_due_at is None:
        return  # past the plan's last day: nothing more to chase
    repo = FollowupRepository(uow.db)
    projected = await ProjectionRepository(uow.db).case(case_id)
    latest = await repo.latest_round(plan_id, CHECKIN)
    due = as_utc(datetime.fromisoformat(next_due_at))
    round_ = (latest.round + 1) if latest else 1
    await repo.add(
        {
            "id": new_event_id(),
            "subject": WATCH,
            "watcher_kind": watcher_kind,
            "referral_id": plan_id,
            "case_id": case_id,
            "agency_id": watcher_id,
            "agency_kind": None,
            # The case's events are the authority on its area (it may have moved).
            "area": (projected.area if projected is not None and projected.area else None) or area,
            "urgency": None,
            "calendar": None,
            "correlation_id": envelope.correlation_id,
            "step": CHECKIN,
            "round": round_,
            "started_at": as_utc(envelope.occurred_at),
            "due_at": due,
            "level": 0,
            "next_fire_at": due,
            "status": "pending",
        }
    )
    log.info("watch_checkin_scheduled", plan_id=plan_id, round=round_, due_at=due.isoformat())
