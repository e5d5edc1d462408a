"""The events referral applies: a coordinator's referral request."""

from __future__ import annotations

from functools import partial

from services.referral import handlers
from services.referral.domain.deadlines import ResponsePolicy
from shared.events import ReferralRequested
from shared.messaging.consumer import EventHandlers
from shared.reference import ReferenceData


def build_event_handlers(reference: ReferenceData, policy: ResponsePolicy) -> EventHandlers:
    """Built by ``bootstrap`` (the agency directory is loaded there, not at import)."""
    event_handlers = EventHandlers()
    event_handlers.on(ReferralRequested)(partial(handlers.on_referral_requested, reference=reference,
                                                 policy=policy))
    return event_handlers
