"""The events referral applies: a coordinator's referral request, and the case events
that change who sees a referral (the case's area, the person's consent) and what is
kept of it (retention)."""

from __future__ import annotations

from functools import partial

from services.referral.adapters.orm import access
from services.referral.handlers import case_events
from services.referral.handlers import referrals as handlers
from shared.access import on_access_events
from shared.events import ReferralRequested
from shared.events.case import CaseMoved, CaseRetentionErased, ConsentRecorded
from shared.messaging.handlers import EventHandlers
from shared.reference import ReferenceData


def build_event_handlers(reference: ReferenceData) -> EventHandlers:
    """Built by ``bootstrap`` (the agency directory and the follow-up policy are loaded
    there, not at import; ``reference`` is the reloadable one)."""
    event_handlers = EventHandlers()
    event_handlers.on(ReferralRequested)(partial(handlers.on_referral_requested, reference=reference))
    event_handlers.on(CaseMoved)(case_events.on_case_moved)
    event_handlers.on(ConsentRecorded)(case_events.on_consent_recorded)
    event_handlers.on(CaseRetentionErased)(case_events.on_retention_erased)
    # Most case events are not referral's concern (it reads every case.opened only to ack
    # it), and a move or a consent change is applied whatever the arrival order (the
    # later fact wins, a later request arrives with it applied: case_events.py): read in
    # small batches under load, at most background_linger_ms later.
    event_handlers.in_background("case")
    on_access_events(event_handlers, access)
    return event_handlers
