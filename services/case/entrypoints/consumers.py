"""The events the case service applies. Each handler runs inside the consumer's open
transaction (with the inbox row): it must not commit."""

from __future__ import annotations

from functools import partial

from services.case.adapters.orm import access
from services.case.domain.matching import MatchKeys
from services.case.handlers import agency_events, consultations, reads
from shared.access import on_access_events
from shared.events import (
    ConsultationSubmitted,
    FollowupFired,
    ReferralAccepted,
    ReferralAcknowledged,
    ReferralDeclined,
    ReferralReceived,
    ReferralStatusChanged,
    ReferralViewed,
)
from shared.messaging.handlers import EventHandlers
from shared.reference import ReferenceData


def make_event_handlers(reference: ReferenceData, keys: MatchKeys) -> EventHandlers:
    """Built from the reference data (routing by school district needs it) and the match
    keys (matching a new consultation needs them)."""
    handlers = EventHandlers()
    on_consultations = partial(consultations.on_consultations_submitted, reference=reference, keys=keys)
    handlers.on_batch(ConsultationSubmitted)(on_consultations)
    handlers.on(ReferralReceived, ReferralAcknowledged, ReferralAccepted, ReferralDeclined, ReferralStatusChanged)(
        agency_events.on_agency_move
    )
    handlers.on_batch(*agency_events.TIMELINE_ONLY)(agency_events.on_timeline_facts)
    handlers.on_batch(ReferralViewed)(reads.on_referrals_viewed)
    handlers.on(FollowupFired)(agency_events.on_followup_fired)
    # Timeline notes that a notification went out: in batches under load. Consultations
    # (a new case in the queue), agency moves and follow-ups stay prompt.
    handlers.in_background("notification")
    on_access_events(handlers, access)
    return handlers
