"""Which event each move publishes (the contracts live in ``shared/events/referral.py``)."""

from __future__ import annotations

from services.referral.domain.lifecycle import Action
from services.referral.domain.referral import Referral, Transition
from shared.events import (
    EventPayload,
    ReferralAccepted,
    ReferralAcknowledged,
    ReferralDeclined,
    ReferralReceived,
    ReferralStatusChanged,
)


def event_for(referral: Referral, transition: Transition, *, agency_kind: str | None = None) -> EventPayload:
    ids = {
        "referral_id": referral.id,
        "case_id": referral.case_id,
        "agency_id": referral.agency_id,
        "area": referral.area,
        "version": referral.version,
    }
    action = transition.action
    if action == Action.DELIVER:
        return ReferralReceived(
            **ids,
            agency_kind=agency_kind,
            urgency=referral.urgency,
            acknowledge_by=referral.acknowledge_by,
            decide_by=referral.decide_by,
        )
    if action == Action.ACKNOWLEDGE:
        return ReferralAcknowledged(**ids)
    if action == Action.ACCEPT:
        return ReferralAccepted(**ids, note=transition.note)
    if action == Action.DECLINE:
        return ReferralDeclined(**ids, reason=transition.reason or "")
    # start, resume, hold, complete, fail, cancel, undeliverable
    return ReferralStatusChanged(
        **ids, status=transition.to_status.value, reason=transition.reason, action=action.value, note=transition.note
    )
