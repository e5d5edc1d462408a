"""Notify's event handlers. Each runs inside the consumer's open transaction (with
the inbox row): it updates the projections, records the notifications the domain
asks for, and starts or ends follow-up timers. It never commits."""

from __future__ import annotations

from typing import Any

from services.notify.adapters.followup_repository import FollowupRepository
from services.notify.adapters.repository import NotificationRepository, ProjectionRepository
from services.notify.domain.routing import (
    Notice,
    agency,
    case_opened_notices,
    followup_effect,
    move_releases,
    referral_notices,
    reporter,
)
from services.notify.handlers import case_followups
from services.notify.handlers.context import NotifyContext
from services.notify.handlers.followups import apply_effect
from services.notify.handlers.notifying import Recording, record_notification, record_notifications
from shared.clock import as_utc, jst_text
from shared.db.uow import UnitOfWork
from shared.events import EVENT_TYPES, CaseOpened, ConsultationLinked, Envelope, ReferralRequested
from shared.events.case import CaseAssigned, CaseMoved, CaseRetentionErased
from shared.events.referral import ReferralSharingRestricted
from shared.logging import get_logger

log = get_logger(__name__)

_MOVE_STATUS = {
    "referral.requested": "requested",
    "referral.received": "received",
    "referral.acknowledged": "acknowledged",
    "referral.accepted": "accepted",
    "referral.declined": "declined",
}
_CLOSING = {"declined", "completed", "failed", "cancelled"}


async def on_case_events(ctx: NotifyContext, envelopes: list[Envelope], uow: UnitOfWork) -> None:
    """``case.opened`` (a case projection with its area, the reporter, "received" to
    the reporter, an urgent case to its area's coordinators) and
    ``case.consultation_linked`` (one more reporter, told the same), a run of
    consecutive ones at a time (a list of one outside batches), deciding exactly as
    applying them one after the other would: one query for the areas already known
    and the cases already taken up, then one statement per table (cases, reporters,
    notifications).

    Order within the run: each entry sees the case rows the entries before it wrote (a
    case.opened after a link keeps no area from it; one after another case.opened of the
    same case keeps that one's area). Referrals are not touched by these events, so
    which cases were taken up is the same for all of them; notifications are recorded
    (and their events published) in the order one at a time would have."""
    run = [
        (e, e.payload_as(CaseOpened) if e.type == CaseOpened.TYPE else e.payload_as(ConsultationLinked))
        for e in envelopes
    ]
    case_ids = list(dict.fromkeys(p.case_id for _e, p in run))
    repo = ProjectionRepository(uow.db)
    areas, taken_up = await repo.known_cases(case_ids)  # areas: grows along the run
    all_areas = tuple(sorted(a.id for a in ctx.reference.areas))
    opened: dict[str, dict[str, Any]] = {}  # case id → its row as its last case.opened sets it
    keys_only: list[str] = []  # linked cases not known before (inserted key only)
    reporters: dict[tuple[str, str], None] = {}
    recordings: list[Recording] = []
    for envelope, p in run:
        about = {
            "about_event_id": envelope.event_id,
            "correlation_id": envelope.correlation_id,
            "event_type": envelope.type,
        }
        if isinstance(p, CaseOpened):
            # A case.moved may have been applied first (streams are not ordered with each other).
            area = areas.get(p.case_id) or p.area
            areas[p.case_id] = area
            opened[p.case_id] = {
                "case_id": p.case_id,
                "case_number": p.case_number,
                "area": area,
                "urgency": p.urgency,
                "opened_at": as_utc(envelope.occurred_at),
            }
            values: dict[str, Any] = {"area": area, "case_number": p.case_number}
            notices = case_opened_notices(area, p.urgency, [p.reporter_id], all_areas)
        else:
            if p.case_id not in areas:
                keys_only.append(p.case_id)
                areas[p.case_id] = None
            values = {}
            notices = case_opened_notices("", "", [p.reporter_id])
        reporters[(p.case_id, p.reporter_id)] = None
        recordings.extend(Recording(notice, values, case_id=p.case_id, **about) for notice in notices)
        # Case and referral events travel on different streams: if an agency already took
        # the case up before notify learnt who reported it, the reporter still hears it.
        if p.case_id in taken_up:
            recordings.append(
                Recording(Notice(reporter(p.reporter_id), "reporter_connected"), {}, case_id=p.case_id, **about)
            )
    await repo.upsert_cases(list(opened.values()))
    await repo.add_cases([c for c in keys_only if c not in opened])  # opened later in the run: upserted
    await repo.add_reporters(list(reporters))
    await record_notifications(uow, ctx, recordings)
    await case_followups.on_cases_opened(ctx, uow, [(e, p) for e, p in run if isinstance(p, CaseOpened)])


async def on_case_moved(ctx: NotifyContext, envelope: Envelope, uow: UnitOfWork) -> None:
    """The case now belongs to another area's coordinators: so do its escalations, and
    its coordinator (if any) lets it go unless it was given to them in that area."""
    p = envelope.payload_as(CaseMoved)
    repo = ProjectionRepository(uow.db)
    case = await repo.case(p.case_id)
    await repo.move_case(p.case_id, p.to_area)
    await FollowupRepository(uow.db).move_case(p.case_id, p.to_area)
    if case is not None and case.coordinator_id is not None and move_releases(case.assigned_area, p.to_area):
        await repo.release_case(p.case_id)
        await case_followups.on_released(ctx, uow, envelope, case, p.to_area)


async def on_case_assigned(ctx: NotifyContext, envelope: Envelope, uow: UnitOfWork) -> None:
    """From now on the case's notifications go to this coordinator (a reassignment moves
    them to the new one; what the previous one was sent stays theirs)."""
    p = envelope.payload_as(CaseAssigned)
    await ProjectionRepository(uow.db).assign_case(p.case_id, p.coordinator_id, p.area, envelope.event_id)
    await case_followups.on_assigned(ctx, uow, envelope, p.case_id, p.area)


async def on_referral_event(ctx: NotifyContext, envelope: Envelope, uow: UnitOfWork) -> None:
    payload = envelope.payload_as(EVENT_TYPES[envelope.type])
    status = getattr(payload, "status", None) or _MOVE_STATUS[envelope.type]
    referral = await _track_referral(ctx, uow, envelope, payload, status)
    projections = ProjectionRepository(uow.db)
    reporters = await projections.reporters_of(referral.case_id)
    # Timers first: the agency's "new referral" notice quotes the acknowledgement deadline.
    effect = followup_effect(envelope.type, getattr(payload, "status", None))
    await apply_effect(uow, ctx, referral, effect, envelope)
    values = await _values(ctx, uow, referral, payload)
    for notice in referral_notices(
        envelope.type,
        agency_id=referral.agency_id,
        area=referral.area,
        reporter_ids=reporters,
        status=getattr(payload, "status", None),
    ):
        await record_notification(
            uow,
            ctx,
            notice,
            values,
            about_event_id=envelope.event_id,
            correlation_id=envelope.correlation_id,
            case_id=referral.case_id,
            referral_id=referral.referral_id,
        )


async def on_sharing_restricted(ctx: NotifyContext, envelope: Envelope, uow: UnitOfWork) -> None:
    """Consent withdrawn: the agency must know it may no longer use what it was shown."""
    p = envelope.payload_as(ReferralSharingRestricted)
    await record_notification(
        uow,
        ctx,
        Notice(agency(p.agency_id), "referral_sharing_restricted"),
        {"referral_ref": p.referral_id},
        about_event_id=envelope.event_id,
        correlation_id=envelope.correlation_id,
        case_id=p.case_id,
        referral_id=p.referral_id,
    )


async def on_retention_erased(ctx: NotifyContext, envelope: Envelope, uow: UnitOfWork) -> None:
    """The case is past the retention period: its notices' texts are erased."""
    erased = envelope.payload_as(CaseRetentionErased)
    count = await NotificationRepository(uow.db).erase_of_cases(erased.case_ids)
    log.info("retention_erased", case_id=erased.case_id, notifications=count)


async def _track_referral(ctx: NotifyContext, uow: UnitOfWork, envelope: Envelope, payload: Any, status: str) -> Any:
    """Keep notify's view of the referral. Events of one referral may arrive in any
    order, so the milestones only ever get set, never unset."""
    repo = ProjectionRepository(uow.db)
    at = as_utc(envelope.occurred_at)  # stored as UTC (SQLite keeps no offset)
    row = await repo.referral(payload.referral_id)
    case = await repo.case(payload.case_id)
    milestones: dict[str, Any] = {}
    if status in ("acknowledged", "accepted", "declined", "in_progress", "on_hold", "completed", "failed"):
        milestones["acknowledged_at"] = at
    if status in ("accepted", "declined", "in_progress", "on_hold", "completed", "failed"):
        milestones["decided_at"] = at
    if status in _CLOSING:
        milestones["closed_at"] = at
    requested = isinstance(payload, ReferralRequested)
    told_urgency = getattr(payload, "urgency", None)
    inserted = row is None and await repo.add_referral(
        referral_id=payload.referral_id,
        case_id=payload.case_id,
        # The case's events are the authority on its area (it may have moved).
        area=case.area if case is not None and case.area else payload.area,
        agency_id=payload.agency_id,
        agency_kind=getattr(payload, "agency_kind", None) or ctx.agency_kind(payload.agency_id),
        case_number=payload.case_number if requested else (case.case_number if case else None),
        urgency=told_urgency or (case.urgency if case else None),
        correlation_id=envelope.correlation_id,
        status=status,
        updated_at=uow.clock.now(),
        requested_at=at if requested else None,
        **milestones,
    )
    if not inserted:
        # Known already (or a replica applying another of its events inserted it first).
        row = row or await repo.referral(payload.referral_id)
        values: dict[str, Any] = {k: v for k, v in milestones.items() if getattr(row, k) is None}
        if row.closed_at is None:
            values["status"] = status
        if requested:
            values.update(case_number=payload.case_number, urgency=payload.urgency, requested_at=at)
        elif told_urgency and row.urgency is None:
            values["urgency"] = told_urgency
        await repo.update_referral(payload.referral_id, updated_at=uow.clock.now(), **values)
    return await repo.referral(payload.referral_id)


async def _values(ctx: NotifyContext, uow: UnitOfWork, referral: Any, payload: Any) -> dict[str, Any]:
    """Everything a template might use; each template takes only what its recipient may see."""
    ack = await FollowupRepository(uow.db).latest_round(referral.referral_id, "acknowledge")
    return {
        "agency_name": ctx.agency_name(referral.agency_id),
        "referral_ref": referral.referral_id,
        "urgency": referral.urgency or "通常",
        "deadline": jst_text(ack.due_at) if ack is not None else "(設定なし)",
        "case_number": referral.case_number or referral.case_id,
        "area": referral.area,
        "reason": getattr(payload, "reason", None),
    }
