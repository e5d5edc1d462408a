"""What the other services tell the case: the agency's moves on a referral, the
notifications sent and the follow-ups that fired. Each is put on the case's timeline
exactly once (the inbox) and applied so that the arrival order does not matter."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.case.adapters.activities import ActivityRepository
from services.case.adapters.chain import add_to_timeline
from services.case.adapters.records import ReferralRepository
from services.case.adapters.repository import CaseRepository
from services.case.domain.referrals import supersedes
from services.case.domain.waits import decision_becomes_due
from services.case.handlers.common import CaseUpdate, family_ids
from shared.clock import as_utc
from shared.db.uow import UnitOfWork
from shared.events import (
    SYSTEM,
    Envelope,
    FollowupFired,
    NotificationRecorded,
    ReferralAccepted,
    ReferralAcknowledged,
    ReferralDeclined,
    ReferralReceived,
    ReferralStatusChanged,
)
from shared.events.case import DecisionNeeded
from shared.events.notification import DeliveryFailed
from shared.events.referral import ReferralSharingRestricted

# The agency moves ``on_agency_move`` applies (entrypoints/consumers.py registers these).
_MOVES = {
    m.TYPE: m
    for m in (ReferralReceived, ReferralAcknowledged, ReferralAccepted, ReferralDeclined, ReferralStatusChanged)
}
# The status each agency event stands for (status_changed carries its own).
_STATUS_OF = {
    "referral.received": "received",
    "referral.acknowledged": "acknowledged",
    "referral.accepted": "accepted",
    "referral.declined": "declined",
}
# The milestone time each status records (the first one seen wins; it never moves).
_MILESTONE = {
    "received": "received_at",
    "acknowledged": "acknowledged_at",
    "accepted": "accepted_at",
    "declined": "declined_at",
}


async def on_agency_move(envelope: Envelope, uow: UnitOfWork) -> None:
    """``referral.received / acknowledged / accepted / declined / status_changed``.

    Ordering rule (commutative): the referral's status is the maximum of (rank, event
    id) over all moves seen — requested < received < acknowledged < accepted = declined
    < in_progress = on_hold < completed = failed = cancelled, ties to the later event —
    so ``accepted`` arriving before ``received`` leaves it accepted. Each milestone time
    (received/acknowledged/accepted/declined) is set by the first event of its kind and
    never overwritten. The reporter stage つなぎ済 follows from "some referral has an
    accepted time", and "needs attention" from "the current status is declined": both
    derived, so no order of arrival can produce a different case. An unknown referral is
    still recorded (placeholder row), never dropped."""
    move = envelope.payload_as(_MOVES[envelope.type])
    case_id = envelope.case_id or move.case_id
    now = uow.clock.now()
    add_to_timeline(uow, (envelope, case_id))
    status = move.status if isinstance(move, ReferralStatusChanged) else _STATUS_OF[envelope.type]
    urgency = getattr(move, "urgency", None)  # only referral.received carries it
    referrals = ReferralRepository(uow.db)
    referral = await referrals.get(move.referral_id, for_update=True)
    if referral is None:
        await referrals.add(
            {
                "id": move.referral_id,
                "case_id": case_id,
                "agency_id": move.agency_id,
                "purpose": None,
                "shared_fields": [],
                "urgency": urgency,
                "status": "requested",
                "status_event_id": None,
                "needs_attention": False,
                "updated_at": now,
            }
        )
        referral = await referrals.get(move.referral_id)
        assert referral is not None
    values: dict[str, Any] = {"updated_at": now}
    milestone = _MILESTONE.get(status)
    if milestone and referral[milestone] is None:
        values[milestone] = as_utc(envelope.occurred_at)
    if referral["urgency"] is None and urgency:  # a placeholder row learns it here
        values["urgency"] = urgency
    if isinstance(move, ReferralDeclined) and referral["decline_reason"] is None:
        values["decline_reason"] = move.reason
    attention_before = referral["needs_attention"]
    if supersedes(status, envelope.event_id, referral["status"], referral["status_event_id"]):
        values.update(status=status, status_event_id=envelope.event_id, needs_attention=status == "declined")
    await referrals.update(move.referral_id, **values)
    case = await _effective_case(uow, referral["case_id"])
    if case is None:
        return
    update = CaseUpdate(uow, case, actor=SYSTEM, correlation_id=envelope.correlation_id, cause=envelope)
    if values.get("needs_attention", attention_before) != attention_before:
        update.touch()
    if "status" in values:
        await _decision(update, move.referral_id, referral["status"], now)
    await update.save()


async def _decision(update: CaseUpdate, referral_id: str, status_before: str, now: Any) -> None:
    """The case's last running referral has just ended: its coordinator owes the next step."""
    case = update.case
    family = await ReferralRepository(update.uow.db).of_cases(await family_ids(update.uow, case["id"]))
    after = {r["id"]: r["status"] for r in family}
    before = {**after, referral_id: status_before}
    if decision_becomes_due(
        case_status=case["status"],
        merged=bool(case["merged_into"]),
        watching=case["watch_plan_id"] is not None,
        before=before.values(),
        after=after.values(),
    ):
        update.set(decision_needed_at=now)
        update.emit(DecisionNeeded(case_id=case["id"], area=case["area"], referral_ids=sorted(after)))


async def _effective_case(uow: UnitOfWork, case_id: str) -> dict[str, Any] | None:
    """The case itself, or the case it is currently merged into."""
    repo = CaseRepository(uow.db)
    case = await repo.get(case_id, for_update=True)
    if case is not None and case["merged_into"]:
        return await repo.get(case["merged_into"], for_update=True)
    return case


# Facts about a case that only go on its timeline.
TIMELINE_ONLY = (NotificationRecorded, DeliveryFailed, ReferralSharingRestricted)


async def on_timeline_facts(envelopes: list[Envelope], uow: UnitOfWork) -> None:
    """``notification.recorded``, ``notification.delivery_failed``,
    ``referral.sharing_restricted``: timeline only, a batch in one executemany.
    Order-free (the timeline is ordered by event id). An event about no case is not the
    case service's concern."""
    models = {m.TYPE: m for m in TIMELINE_ONLY}
    entries = []
    for envelope in envelopes:
        case_id = envelope.case_id or getattr(envelope.payload_as(models[envelope.type]), "case_id", None)
        if case_id:
            entries.append((envelope, case_id))
    add_to_timeline(uow, *entries)


async def on_followup_fired(envelope: Envelope, uow: UnitOfWork) -> None:
    """``followup.fired``: timeline, and the referral's last follow-up step (the later
    event id wins, so a late reminder never hides an escalation that came after it)."""
    fired = envelope.payload_as(FollowupFired)
    case_id = envelope.case_id or fired.case_id
    add_to_timeline(uow, (envelope, case_id))
    if fired.referral_id is None:
        if fired.plan_id is not None:
            await _missed_checkin(envelope, fired, case_id, uow)
        return
    referrals = ReferralRepository(uow.db)
    referral = await referrals.get(fired.referral_id, for_update=True)
    if referral is not None:
        last = referral["last_followup"] or ""
        last_event = last.split(":", 1)[0]
        if envelope.event_id > last_event:
            await referrals.update(fired.referral_id, last_followup=f"{envelope.event_id}:{fired.step}"[:120])


async def _missed_checkin(envelope: Envelope, fired: FollowupFired, case_id: str, uow: UnitOfWork) -> None:
    """A watch plan's check-in came due undone: counted once per timer (its rungs share
    the follow-up id), by when it was due."""
    await ActivityRepository(uow.db).add_missed(
        {
            "followup_id": fired.followup_id,
            "plan_id": fired.plan_id,
            "case_id": case_id,
            "due_at": as_utc(datetime.fromisoformat(fired.overdue_since)),
            "fired_at": as_utc(envelope.occurred_at),
        }
    )
