"""Shaping a referral for the caller: the agency's view or the staff view."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from services.referral.domain.lifecycle import (
    FHIR_BUSINESS_STATUS,
    FHIR_STATUS,
    STATUS_LABELS,
    Party,
    Status,
    allowed_actions,
)
from services.referral.domain.referral import Referral
from services.referral.entrypoints.schemas import (
    AgencyReferral,
    AgencyReferralSummary,
    Contact,
    Deadline,
    HistoryEntry,
    StaffReferral,
    StaffReferralSummary,
)
from shared.calendar import BusinessCalendar
from shared.clock import as_utc, jst_text
from shared.identity import Identity
from shared.reference import ReferenceData


def _deadline(at: datetime | None, now: datetime, applies: bool, calendar: BusinessCalendar) -> Deadline | None:
    if at is None or not applies:
        return None
    hours = math.floor((as_utc(at) - as_utc(now)).total_seconds() / 3600)
    return Deadline(
        at=at,
        at_jst=jst_text(at),
        overdue=now > at,
        business_days_left=calendar.business_days_left(at, now),
        hours_left=hours,
    )


def _jst(at: datetime | None) -> str | None:
    return jst_text(at) if at else None


def _moves_for(referral: Referral, party: Party) -> list[str]:
    return [a.value for a in allowed_actions(referral.status, party)]


def _party(caller: Identity) -> Party | None:
    return {"agency": Party.AGENCY, "coordinator": Party.COORDINATOR}.get(caller.role)


def _contact(referral: Referral, reference: ReferenceData) -> Contact:
    area = reference.area(referral.area)
    office = area.office if area else None
    coordinator = reference.coordinator(referral.requested_by) if referral.requested_by else None
    return Contact(
        area=referral.area,
        office_name=office.name if office else None,
        phone=office.phone if office else None,
        email=office.email if office else None,
        coordinator_id=referral.requested_by,
        coordinator_name=coordinator.name if coordinator else None,
    )


def _history(history: list[Any]) -> list[HistoryEntry]:
    return [
        HistoryEntry(
            version=h.version,
            action=h.action,
            from_status=h.from_status,
            to_status=h.to_status,
            actor_role=h.actor_role,
            actor_id=h.actor_id,
            reason=h.reason,
            note=h.note,
            at=as_utc(h.at),
            at_jst=jst_text(h.at),
            event_id=h.event_id,
        )
        for h in history
    ]


def agency_view(detail: Any, reference: ReferenceData, now: datetime, calendar: BusinessCalendar) -> AgencyReferral:
    """Only what was shared (and only while the agency may still read it), the purpose,
    its deadlines, whom to call back, and every move."""
    referral: Referral = detail.referral
    return AgencyReferral(
        id=referral.id,
        case_number=referral.case_number,
        **_either_view(referral, now, calendar),
        shared=detail.shown,
        personal_fields_closed=detail.closed_reason,
        allowed_actions=_moves_for(referral, Party.AGENCY),
        reason=referral.reason,
        note=referral.note,
        contact=_contact(referral, reference),
        history=_history(detail.history),
    )


def _either_view(referral: Referral, now: datetime, calendar: BusinessCalendar) -> dict[str, Any]:
    """What the agency's and the staff's view of a referral both show."""
    return {
        "status": referral.status.value,
        "status_label": STATUS_LABELS[referral.status],
        "version": referral.version,
        "purpose": referral.purpose,
        "urgency": referral.urgency,
        "received_at": referral.received_at,
        "received_at_jst": jst_text(referral.received_at),
        "updated_at_jst": jst_text(referral.updated_at),
        "acknowledge_by": _deadline(referral.acknowledge_by, now, referral.status == Status.RECEIVED, calendar),
        "decide_by": _deadline(
            referral.decide_by, now, referral.status in (Status.RECEIVED, Status.ACKNOWLEDGED), calendar
        ),
    }


def staff_view(
    referral: Referral,
    caller: Identity,
    reference: ReferenceData,
    history: list[Any],
    now: datetime,
    calendar: BusinessCalendar,
) -> StaffReferral:
    agency = reference.agency(referral.agency_id)
    party = _party(caller)
    return StaffReferral(
        id=referral.id,
        case_id=referral.case_id,
        case_number=referral.case_number,
        area=referral.area,
        agency_id=referral.agency_id,
        agency_name=agency.name if agency else None,
        **_either_view(referral, now, calendar),
        fhir_status=FHIR_STATUS[referral.status],
        fhir_business_status=FHIR_BUSINESS_STATUS.get(referral.status),
        consent=referral.consent,
        legal_ground=referral.legal_ground,
        shared=dict(referral.shared),
        withheld=list(referral.withheld),
        acknowledged_at_jst=_jst(referral.acknowledged_at),
        decided_at_jst=_jst(referral.decided_at),
        closed_at_jst=_jst(referral.closed_at),
        reason=referral.reason,
        note=referral.note,
        allowed_actions=_moves_for(referral, party) if party == Party.COORDINATOR else [],
        history=_history(history),
    )


def summary(
    referral: Referral, caller: Identity, reference: ReferenceData, now: datetime, calendar: BusinessCalendar
) -> AgencyReferralSummary | StaffReferralSummary:
    due = referral.next_deadline()
    next_deadline = _deadline(due, now, due is not None, calendar)
    if caller.role == "agency":
        return AgencyReferralSummary(
            id=referral.id,
            case_number=referral.case_number,
            status=referral.status.value,
            status_label=STATUS_LABELS[referral.status],
            version=referral.version,
            urgency=referral.urgency,
            purpose=referral.purpose,
            received_at_jst=jst_text(referral.received_at),
            next_deadline=next_deadline,
        )
    agency = reference.agency(referral.agency_id)
    return StaffReferralSummary(
        id=referral.id,
        case_id=referral.case_id,
        case_number=referral.case_number,
        area=referral.area,
        agency_id=referral.agency_id,
        agency_name=agency.name if agency else None,
        status=referral.status.value,
        status_label=STATUS_LABELS[referral.status],
        fhir_status=FHIR_STATUS[referral.status],
        version=referral.version,
        urgency=referral.urgency,
        received_at_jst=jst_text(referral.received_at),
        next_deadline=next_deadline,
    )
