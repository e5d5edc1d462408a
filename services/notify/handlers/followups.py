"""Follow-up timers: starting and ending them as a referral moves (inside the event's
unit of work), and firing the rungs of a due timer (one transaction per rung)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.notify.adapters.followup_repository import FollowupRepository
from services.notify.adapters.repository import ProjectionRepository
from services.notify.domain.approval_routing import APPROVAL, approval_escalation_notice
from services.notify.domain.policy import LADDER, ladder_times
from services.notify.domain.routing import (
    HELPER_TASK,
    FollowupEffect,
    Notice,
    case_escalation_notices,
    escalation_notice,
    helper_task_escalation_notice,
    opens_step,
    watch_escalation_notice,
)
from services.notify.domain.templates import STEP_LABELS
from services.notify.handlers.case_followups import CASE, case_lateness, case_rungs
from services.notify.handlers.context import NotifyContext
from services.notify.handlers.notifying import emit, record_notification
from shared.calendar import BusinessCalendar, hours_late
from shared.clock import as_utc, jst_text
from shared.db.uow import UnitOfWork
from shared.events import Envelope, FollowupFired, ReferralReceived, new_event_id
from shared.events.watch import WATCHER_LABELS
from shared.followup_sections import STEPS, Deadlines, Step
from shared.logging import get_logger

log = get_logger(__name__)

WATCH = "watch"  # a timer's subject: a watch plan's check-in (else a referral's step)
TASK = "task"  # a timer's subject: a case conference's task (referral_id holds the task)


def watcher_label(ctx: NotifyContext, kind: str | None, watcher_id: str) -> str:
    """Who watches, as the coordinator reads it (an agency by name; a helper by account id)."""
    if kind == "agency":
        return ctx.agency_name(watcher_id)
    label = WATCHER_LABELS.get(kind or "coordinator", "見守る人")
    return label if kind == "coordinator" else f"{label} {watcher_id}"


async def apply_effect(
    uow: UnitOfWork, ctx: NotifyContext, referral: Any, effect: FollowupEffect, envelope: Envelope
) -> None:
    repo = FollowupRepository(uow.db)
    now = uow.clock.now()
    handled = set(effect.handles)
    if effect.progress_reported:
        handled.add("progress")
    if handled:
        ended = await repo.end_pending(
            referral.referral_id, sorted(handled), "cancelled" if effect.closes else "done", now, envelope.event_id
        )
        if ended:
            log.info("followups_ended", referral_id=referral.referral_id, steps=sorted(handled), count=ended)
    if referral.closed_at is not None:
        return
    shown = shown_deadlines(envelope)
    for step in effect.schedule:
        if step == "progress":
            if not await repo.exists(referral.referral_id, "progress"):
                await schedule(uow, ctx, referral, "progress", 1, envelope.occurred_at)
        elif opens_step(
            step,
            acknowledged=referral.acknowledged_at is not None,
            decided=referral.decided_at is not None,
            closed=False,
        ):
            if not await repo.exists(referral.referral_id, step):
                await schedule(
                    uow,
                    ctx,
                    referral,
                    step,
                    1,
                    as_utc(referral.requested_at or envelope.occurred_at),
                    due=shown.get(step),
                )
            elif step in shown:
                await repo.align_due(referral.referral_id, step, shown[step])
    if effect.progress_reported:
        latest = await repo.latest_round(referral.referral_id, "progress")
        await schedule(uow, ctx, referral, "progress", (latest.round + 1) if latest else 1, envelope.occurred_at)


def shown_deadlines(envelope: Envelope) -> dict[str, datetime]:
    """The deadlines the referral service showed the agency (on ``referral.received``),
    computed from the same policy and calendar: the agency is chased on exactly those."""
    if envelope.type != ReferralReceived.TYPE:
        return {}
    received = envelope.payload_as(ReferralReceived)
    shown = {"acknowledge": received.acknowledge_by, "decide": received.decide_by}
    return {step: as_utc(at) for step, at in shown.items() if at is not None}


def _rules(ctx: NotifyContext, row: Any) -> tuple[Deadlines, BusinessCalendar]:
    """The spans and the business calendar of a running timer (the policy in use now):
    a watch plan's check-in is chased on the policy's ``watch`` spans."""
    policy = ctx.policy
    if row.subject == WATCH:
        return policy.watch_deadlines(), policy.calendar(row.calendar)
    if row.subject == HELPER_TASK:
        return policy.helper_task_deadlines(), policy.calendar(row.calendar)
    if row.subject == APPROVAL:
        return policy.approval_deadlines(), policy.calendar(row.calendar)
    if row.subject == TASK:
        return policy.conference_task_deadlines(), policy.calendar(row.calendar)
    return policy.deadlines(row.agency_kind, row.urgency), policy.calendar(row.calendar)


async def schedule(
    uow: UnitOfWork,
    ctx: NotifyContext,
    referral: Any,
    step: Step,
    round_: int,
    start: datetime,
    due: datetime | None = None,
) -> None:
    calendar_name = ctx.agency_calendar(referral.agency_id)
    due = due or ctx.policy.due(
        step, as_utc(start), agency_kind=referral.agency_kind, urgency=referral.urgency, calendar=calendar_name
    )
    added = await FollowupRepository(uow.db).add(
        {
            "id": new_event_id(),
            "referral_id": referral.referral_id,
            "case_id": referral.case_id,
            "agency_id": referral.agency_id,
            "agency_kind": referral.agency_kind,
            "area": referral.area,
            "urgency": referral.urgency,
            "calendar": calendar_name,
            "correlation_id": referral.correlation_id,
            "step": step,
            "round": round_,
            "started_at": as_utc(start),
            "due_at": due,
            "level": 0,
            "next_fire_at": due,
            "status": "pending",
        }
    )
    if added:
        log.info(
            "followup_scheduled", referral_id=referral.referral_id, step=step, round=round_, due_at=due.isoformat()
        )


def lateness(ctx: NotifyContext, row: Any, now: datetime) -> tuple[int, float, str]:
    """(business days begun since the deadline, clock hours late, the text people read)."""
    due = as_utc(row.due_at)
    deadlines, calendar = _rules(ctx, row)
    hourly = row.step in STEPS and deadlines.for_step(row.step).hours is not None
    days = calendar.business_days_late(due, now)
    hours = hours_late(due, now)
    return days, hours, (f"{hours:g}時間" if hourly else f"{days}営業日目")


def _rung_times(ctx: NotifyContext, row: Any) -> list[datetime]:
    if row.subject == CASE:
        return case_rungs(ctx, row.step, row.urgency, row.due_at)
    deadlines, calendar = _rules(ctx, row)
    return ladder_times(deadlines, as_utc(row.due_at), calendar)


def _notices(ctx: NotifyContext, row: Any, rung: int) -> list[Notice]:
    if row.subject == CASE:
        return case_escalation_notices(row.step, rung, row.area, tuple(sorted(a.id for a in ctx.reference.areas)))
    if row.subject in (WATCH, TASK):
        return [
            watch_escalation_notice(
                rung, watcher_kind=row.watcher_kind, watcher_id=row.agency_id, area=row.area, kind=row.subject
            )
        ]
    if row.subject == HELPER_TASK:
        return [helper_task_escalation_notice(rung, helper_id=row.agency_id, area=row.area)]
    if row.subject == APPROVAL:
        return [approval_escalation_notice(rung, area=row.area)]
    return [escalation_notice(rung, agency_id=row.agency_id, area=row.area)]


async def fire_rung(uow: UnitOfWork, ctx: NotifyContext, followup_id: str, level: int) -> bool:
    """Fire the next rung of a due timer. Returns False if another replica did, or
    the timer ended meanwhile. The caller's unit of work must not be open."""
    async with uow:
        repo = FollowupRepository(uow.db)
        row = await repo.get(followup_id)
        if row is None or row.status != "pending" or row.level != level or level >= len(LADDER):
            return False
        now = uow.clock.now()
        times = _rung_times(ctx, row)
        if level >= len(times):
            return False
        rung = level + 1
        next_at = times[rung] if rung < len(times) else None
        if not await repo.advance(followup_id, from_level=level, now=now, next_fire_at=next_at, worker=ctx.worker):
            return False
        watched, tasked = row.subject in (WATCH, TASK), row.subject == HELPER_TASK
        asked = row.subject == APPROVAL  # an approval request: ``referral_id`` holds its id
        own = row.subject == CASE  # the case's own wait: no referral, no plan
        notices = _notices(ctx, row, rung)
        notice = notices[0]
        if watched or tasked or asked or own:
            about = await ProjectionRepository(uow.db).case(row.case_id)
        else:
            about = await ProjectionRepository(uow.db).referral(row.referral_id)
        late_text = case_lateness(ctx, row, now) if own else lateness(ctx, row, now)[2]
        fired = emit(
            uow,
            FollowupFired(
                followup_id=row.id,
                referral_id=None if watched or tasked or asked or own else row.referral_id,
                plan_id=row.referral_id if row.subject == WATCH else None,
                task_id=row.referral_id if tasked or row.subject == TASK else None,
                approval_id=row.referral_id if asked else None,
                case_id=row.case_id,
                step=row.step,
                recipient_role=notice.recipient.role,
                recipient_scope=notice.recipient.scope,
                overdue_since=as_utc(row.due_at).isoformat(),
                rung=rung,
                late=late_text,
            ),
            aggregate_id=row.referral_id,
            case_id=row.case_id,
            correlation_id=row.correlation_id or row.referral_id,
            causation_id=None,
        )
        values = {
            "agency_name": watcher_label(ctx, row.watcher_kind, row.agency_id)
            if watched
            else ctx.agency_name(row.agency_id),
            "referral_ref": row.referral_id,
            "step_label": STEP_LABELS.get(row.step, row.step),
            "deadline": jst_text(row.due_at),
            "late": late_text,
            "area": row.area,
            "case_number": (about.case_number if about else None) or row.case_id,
            "urgency": row.urgency or "通常",
            "helper_id": row.agency_id,
        }
        recorded = [
            await record_notification(
                uow,
                ctx,
                each,
                values,
                about_event_id=fired.event_id,
                correlation_id=fired.correlation_id,
                case_id=row.case_id,
                referral_id=None if watched or tasked or asked or own else row.referral_id,
            )
            for each in notices
        ]
        notification_id = next((n for n in recorded if n), None)
        await repo.record_firing(
            {
                "followup_id": row.id,
                "rung": rung,
                "recipient_role": notice.recipient.role,
                "recipient_scope": notice.recipient.scope,
                "fired_at": now,
                "worker": ctx.worker,
                "notification_id": notification_id or "",
            }
        )
        await uow.commit()
    log.info("followup_fired", referral_id=row.referral_id, step=row.step, rung=rung)
    return True
