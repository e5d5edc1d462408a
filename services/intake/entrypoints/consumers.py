"""The events intake applies: the case a consultation became, its stage, and
retention's erasure of its personal fields."""

from __future__ import annotations

from services.intake.adapters.orm import access
from services.intake.handlers import consultations as handlers
from shared.access import on_access_events
from shared.events import CaseOpened, CaseStageChanged, ConsultationLinked
from shared.events.case import CaseRetentionErased
from shared.messaging.handlers import EventHandlers

event_handlers = EventHandlers()
event_handlers.on_batch(CaseOpened, ConsultationLinked)(handlers.on_cases_opened_or_linked)
event_handlers.on(CaseStageChanged)(handlers.on_case_stage_changed)
event_handlers.on(CaseRetentionErased)(handlers.on_retention_erased)
# What the reporter's status shows: off the critical path, applied in batches under load.
event_handlers.in_background("case")
on_access_events(event_handlers, access)
