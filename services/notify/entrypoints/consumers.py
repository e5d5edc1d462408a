"""The events notify applies: cases (areas, assigned coordinators, reporters, urgent
cases), watch plans and check-ins (見守り), community helpers' tasks, every referral move; retention's erasure.
Handlers are bound to the service's context in ``bootstrap``."""

from __future__ import annotations

from functools import partial

from services.notify.adapters.orm import access
from services.notify.handlers import approvals, case_followups, conference_tasks, helper_tasks, watch
from services.notify.handlers import events as handlers
from services.notify.handlers.context import NotifyContext
from shared.access import on_access_events
from shared.events import (
    CaseOpened,
    ConsultationLinked,
    ReferralAccepted,
    ReferralAcknowledged,
    ReferralDeclined,
    ReferralReceived,
    ReferralRequested,
    ReferralStatusChanged,
)
from shared.events.approvals import ApprovalDecided, ApprovalRequested, ApprovalWithdrawn
from shared.events.case import (
    CaseAssigned,
    CaseMerged,
    CaseMoved,
    CaseRetentionErased,
    CaseStatusChanged,
    ContactRecorded,
    DecisionNeeded,
)
from shared.events.conference import ConferenceTaskClosed, ConferenceTaskSet
from shared.events.helper import HelperTaskAssigned, HelperTaskCheckedIn
from shared.events.referral import ReferralSharingRestricted
from shared.events.watch import CheckInRecorded, WatchChanged, WatchEnded, WatchStarted
from shared.messaging.handlers import EventHandlers

REFERRAL_EVENTS = (
    ReferralRequested,
    ReferralReceived,
    ReferralAcknowledged,
    ReferralAccepted,
    ReferralDeclined,
    ReferralStatusChanged,
)


def event_handlers(ctx: NotifyContext) -> EventHandlers:
    registry = EventHandlers()
    registry.on_batch(CaseOpened, ConsultationLinked)(partial(handlers.on_case_events, ctx))
    registry.on(CaseMoved)(partial(handlers.on_case_moved, ctx))
    registry.on(CaseAssigned)(partial(handlers.on_case_assigned, ctx))
    registry.on(*REFERRAL_EVENTS)(partial(handlers.on_referral_event, ctx))
    registry.on(ReferralSharingRestricted)(partial(handlers.on_sharing_restricted, ctx))
    registry.on(CaseRetentionErased)(partial(handlers.on_retention_erased, ctx))
    registry.on(WatchStarted, WatchChanged)(partial(watch.on_watch_plan, ctx))
    registry.on(WatchEnded)(partial(watch.on_watch_ended, ctx))
    registry.on(CheckInRecorded)(partial(watch.on_checked_in, ctx))
    registry.on(ContactRecorded)(partial(case_followups.on_contact_recorded, ctx))
    registry.on(CaseStatusChanged)(partial(case_followups.on_status_changed, ctx))
    registry.on(CaseMerged)(partial(case_followups.on_merged, ctx))
    registry.on(DecisionNeeded)(partial(case_followups.on_decision_needed, ctx))
    registry.on(HelperTaskAssigned)(partial(helper_tasks.on_assigned, ctx))
    registry.on(*helper_tasks.MOVES)(partial(helper_tasks.on_moved, ctx))
    registry.on(HelperTaskCheckedIn)(partial(helper_tasks.on_checked_in, ctx))
    registry.on(ApprovalRequested)(partial(approvals.on_approval_requested, ctx))
    registry.on(ApprovalDecided)(partial(approvals.on_approval_decided, ctx))
    registry.on(ApprovalWithdrawn)(partial(approvals.on_approval_withdrawn, ctx))
    registry.on(ConferenceTaskSet)(partial(conference_tasks.on_task_set, ctx))
    registry.on(ConferenceTaskClosed)(partial(conference_tasks.on_task_closed, ctx))
    # The coordinator's notification of a new case (the case is already in the queue):
    # in batches under load. Referral events (the agency's inbox) stay prompt.
    registry.in_background("case")
    on_access_events(registry, access)
    return registry
