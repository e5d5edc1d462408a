"""Nothing left untriaged: a case's own follow-up timers, on the same table and timer
loop as a referral's steps. From intake's receipt a case waits to be assigned
(``assign``: the area's coordinators, then the supervisor); once assigned it waits for
its first contact (``contact``: its coordinator). The case's events end them. Every
referral of the case ended: its coordinator is asked to decide the next step. Inside
the consumer's transaction."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from services.notify.adapters.followup_repository import FollowupRepository
from services.notify.adapters.repository import ProjectionRepository
from services.notify.domain.policy import case_ladder_times
from services.notify.domain.routing import ASSIGN, CASE_STEPS, CONTACT, decision_notice
from services.notify.handlers.context import NotifyContext
from services.notify.handlers.notifying import record_notification
from shared.calendar import hours_late
from shared.clock import as_utc
from shared.db.uow import UnitOfWork
from shared.events import CaseOpened, Envelope, new_event_id
from shared.events.case import CaseMerged, CaseStatusChanged, ContactRecorded, DecisionNeeded
from shared.logging import get_logger

log = get_logger(__name__)

CASE = "case"  # a timer's subject: the case itself (referral_id then holds the case id)
CLOSED = "終結"


def received_at(envelope: Envelope, opened: CaseOpened) -> datetime:
    """Intake's receipt, as the case service passed it on (older events: the opening)."""
    return as_utc(datetime.fromisoformat(opened.received_at)) if opened.received_at else as_utc(envelope.occurred_at)


def case_rungs(ctx: NotifyContext, step: str, urgency: str | None, due_at: datetime) -> list[datetime]:
    """When each rung of a case's timer fires, by the policy in use now."""
    policy = ctx.policy
    return case_ladder_times(step, policy.case_deadlines(urgency), as_utc(due_at), policy.calendar(None))


def case_lateness(ctx: NotifyContext, row: Any, now: datetime) -> str:
    """How late, as people read it: in the unit of the step's span (営業時間, 時間, 営業日目)."""
    spans, calendar = ctx.policy.case_deadlines(row.urgency), ctx.policy.calendar(None)
    span = spans.assign if row.step == ASSIGN else spans.first_contact
    due = as_utc(row.due_at)
    if span.business_hours is not None:
        return f"{math.floor(calendar.business_hours_between(due, now))}営業時間"
    if span.hours is not None:
        return f"{hours_late(due, now):g}時間"
    return f"{calendar.business_days_late(due, now)}営業日目"


def _timer(
    ctx: NotifyContext,
    envelope: Envelope,
    *,
    case_id: str,
    area: str,
    urgency: str | None,
    step: str,
    start: datetime,
    round_: int = 1,
) -> dict[str, Any]:
    """A case's timer for ``step`` from ``start``, due by the policy in use now."""
    policy = ctx.policy
    spans = policy.case_deadlines(urgency)
    span = spans.assign if step == ASSIGN else spans.first_contact
    due = span.after(start, policy.calendar(None))
    return {
        "id": new_event_id(),
        "subject": CASE,
        "watcher_kind": None,
        "referral_id": case_id,
        "case_id": case_id,
        "agency_id": "",
        "agency_kind": None,
        "area": area,
        "urgency": urgency,
        "calendar": None,
        "correlation_id": envelope.correlation_id,
        "step": step,
        "round": round_,
        "started_at": start,
        "due_at": due,
        "level": 0,
        "status": "pending",
        "next_fire_at": case_rungs(ctx, step, urgency, due)[0],
    }


def _scheduled(row: dict[str, Any]) -> None:
    log.info("case_followup_scheduled", case_id=row["case_id"], step=row["step"], due_at=row["due_at"].isoformat())


async def _start(uow: UnitOfWork, ctx: NotifyContext, envelope: Envelope, **timer: Any) -> None:
    """One case timer (``_timer``'s arguments), unless its round has one already."""
    row = _timer(ctx, envelope, **timer)
    if await FollowupRepository(uow.db).add(row):
        _scheduled(row)


async def on_cases_opened(ctx: NotifyContext, uow: UnitOfWork, opened: list[tuple[Envelope, CaseOpened]]) -> None:
    """A new case waits for a coordinator from the moment intake received it (the batch's
    cases read and their timers written in one statement each)."""
    known = await ProjectionRepository(uow.db).cases_of([p.case_id for _, p in opened])
    rows = []
    for envelope, p in opened:
        row = known.get(p.case_id)
        if row is not None and row.coordinator_id is not None:
            continue  # already assigned (its events may be applied out of order)
        area = (row.area if row is not None and row.area else None) or p.area
        start = received_at(envelope, p)
        rows.append(_timer(ctx, envelope, case_id=p.case_id, area=area, urgency=p.urgency, step=ASSIGN, start=start))
    added = await FollowupRepository(uow.db).add_new(rows)
    for timer in rows:
        if timer["id"] in added:
            _scheduled(timer)


async def on_assigned(ctx: NotifyContext, uow: UnitOfWork, envelope: Envelope, case_id: str, area: str) -> None:
    """Taken: the wait for a coordinator is over, the wait for the first contact begins
    (a reassignment keeps its clock running; a case contacted already waits for nothing;
    after a move released it, a new round)."""
    repo = FollowupRepository(uow.db)
    await repo.end_pending(case_id, [ASSIGN], "done", uow.clock.now(), envelope.event_id)
    latest = await repo.latest_round(case_id, CONTACT)
    if latest is not None and latest.status != "cancelled":
        return
    case = await ProjectionRepository(uow.db).case(case_id)
    await _start(
        uow,
        ctx,
        envelope,
        case_id=case_id,
        area=area,
        urgency=case.urgency if case is not None else None,
        step=CONTACT,
        start=as_utc(envelope.occurred_at),
        round_=(latest.round + 1) if latest is not None else 1,
    )


async def on_released(ctx: NotifyContext, uow: UnitOfWork, envelope: Envelope, case: Any, area: str) -> None:
    """Moved to another area's queue without its coordinator: it waits for one again,
    from the move (and for its first contact once someone new has it)."""
    repo = FollowupRepository(uow.db)
    await repo.end_pending(case.case_id, [CONTACT], "cancelled", uow.clock.now(), envelope.event_id)
    latest = await repo.latest_round(case.case_id, ASSIGN)
    await _start(
        uow,
        ctx,
        envelope,
        case_id=case.case_id,
        area=area,
        urgency=case.urgency,
        step=ASSIGN,
        start=as_utc(envelope.occurred_at),
        round_=(latest.round + 1) if latest else 1,
    )


async def on_contact_recorded(ctx: NotifyContext, envelope: Envelope, uow: UnitOfWork) -> None:
    """The first contact ends the wait for it; recorded while none runs (an assignment not
    yet applied, a coordinator released by a move), it leaves a finished one so that none
    starts."""
    p = envelope.payload_as(ContactRecorded)
    repo = FollowupRepository(uow.db)
    now = uow.clock.now()
    if await repo.end_pending(p.case_id, [CONTACT], "done", now, envelope.event_id):
        return
    latest = await repo.latest_round(p.case_id, CONTACT)
    if latest is not None and latest.status == "done":
        return
    case = await ProjectionRepository(uow.db).case(p.case_id)
    await repo.add(
        {
            "id": new_event_id(),
            "subject": CASE,
            "referral_id": p.case_id,
            "case_id": p.case_id,
            "agency_id": "",
            "area": (case.area if case is not None else None) or "",
            "urgency": case.urgency if case is not None else None,
            "step": CONTACT,
            "round": (latest.round + 1) if latest is not None else 1,
            "started_at": as_utc(envelope.occurred_at),
            "due_at": as_utc(envelope.occurred_at),
            "level": 0,
            "next_fire_at": None,
            "status": "done",
            "ended_at": now,
            "ended_by_event": envelope.event_id,
        }
    )


async def on_status_changed(ctx: NotifyContext, envelope: Envelope, uow: UnitOfWork) -> None:
    """A closed case (終結) waits for nothing."""
    p = envelope.payload_as(CaseStatusChanged)
    if p.to_status == CLOSED:
        await _cancel(uow, envelope, p.case_id)


async def on_merged(ctx: NotifyContext, envelope: Envelope, uow: UnitOfWork) -> None:
    """A case merged into another is worked as that one: its own timers end."""
    await _cancel(uow, envelope, envelope.payload_as(CaseMerged).source_case_id)


async def _cancel(uow: UnitOfWork, envelope: Envelope, case_id: str) -> None:
    ended = await FollowupRepository(uow.db).end_pending(
        case_id, list(CASE_STEPS), "cancelled", uow.clock.now(), envelope.event_id
    )
    if ended:
        log.info("case_followups_ended", case_id=case_id, count=ended)


async def on_decision_needed(ctx: NotifyContext, envelope: Envelope, uow: UnitOfWork) -> None:
    p = envelope.payload_as(DecisionNeeded)
    case = await ProjectionRepository(uow.db).case(p.case_id)
    area = (case.area if case is not None and case.area else None) or p.area
    await record_notification(
        uow,
        ctx,
        decision_notice(area),
        {"area": area, "case_number": (case.case_number if case else None) or p.case_id},
        about_event_id=envelope.event_id,
        correlation_id=envelope.correlation_id,
        case_id=p.case_id,
    )
