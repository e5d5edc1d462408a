"""Supervisor approval requests (監督者の承認) in notify: the supervisors hear of a new
request, the area's coordinators of the decision, and a request left past its
``decide_by`` is a follow-up timer on the same ladder as a referral's steps (the
policy's ``approvals`` spans). Inside the consumer's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.notify.adapters.followup_repository import FollowupRepository
from services.notify.adapters.repository import ProjectionRepository
from services.notify.domain.approval_routing import APPROVAL, decided_notices, requested_notices
from services.notify.handlers.context import NotifyContext
from services.notify.handlers.notifying import record_notification
from shared.clock import as_utc, jst_text
from shared.db.uow import UnitOfWork
from shared.events import Envelope, new_event_id
from shared.events.approvals import ApprovalDecided, ApprovalRequested, ApprovalWithdrawn
from shared.logging import get_logger

log = get_logger(__name__)

# What the notifications call each move (the case service's words for them).
MOVE_LABELS = {
    "share_without_consent": "同意なしの個人情報の共有",
    "close_with_open_work": "未完了の紹介・見守りがあるケースの終結",
    "reopen_after_long": "長期間を経たケースの再開",
    "merge_across_areas": "圏域をまたぐケースの統合",
}


async def _values(uow: UnitOfWork, case_id: str, area: str, move: str, deadline: datetime | None) -> dict[str, Any]:
    case = await ProjectionRepository(uow.db).case(case_id)
    return {
        "area": (case.area if case is not None and case.area else None) or area,
        "case_number": (case.case_number if case else None) or case_id,
        "move_label": MOVE_LABELS.get(move, move),
        "deadline": jst_text(deadline) if deadline else None,
    }


async def on_approval_requested(ctx: NotifyContext, envelope: Envelope, uow: UnitOfWork) -> None:
    asked = envelope.payload_as(ApprovalRequested)
    due = as_utc(datetime.fromisoformat(asked.decide_by))
    values = await _values(uow, asked.case_id, asked.area, asked.move, due)
    for notice in requested_notices(asked.kind):
        await record_notification(
            uow,
            ctx,
            notice,
            values,
            about_event_id=envelope.event_id,
            correlation_id=envelope.correlation_id,
            case_id=asked.case_id,
        )
    added = await FollowupRepository(uow.db).add_one_round(
        id=new_event_id(),
        subject=APPROVAL,
        key=asked.approval_id,
        case_id=asked.case_id,
        owner=asked.requested_by,
        area=values["area"],
        due=due,
        started_at=as_utc(envelope.occurred_at),
        correlation_id=envelope.correlation_id,
    )
    if added:
        log.info("approval_chase_scheduled", approval_id=asked.approval_id, due_at=due.isoformat())


async def on_approval_decided(ctx: NotifyContext, envelope: Envelope, uow: UnitOfWork) -> None:
    decided = envelope.payload_as(ApprovalDecided)
    await FollowupRepository(uow.db).end_pending(
        decided.approval_id, [APPROVAL], "done", uow.clock.now(), envelope.event_id
    )
    if decided.kind == "review" and decided.decision == "approved":
        return  # a review found in order: nothing for the coordinator to do
    values = await _values(uow, decided.case_id, decided.area, decided.move, None)
    for notice in decided_notices(values["area"], decided.decision):
        await record_notification(
            uow,
            ctx,
            notice,
            values,
            about_event_id=envelope.event_id,
            correlation_id=envelope.correlation_id,
            case_id=decided.case_id,
        )


async def on_approval_withdrawn(ctx: NotifyContext, envelope: Envelope, uow: UnitOfWork) -> None:
    withdrawn = envelope.payload_as(ApprovalWithdrawn)
    await FollowupRepository(uow.db).end_pending(
        withdrawn.approval_id, [APPROVAL], "cancelled", uow.clock.now(), envelope.event_id
    )
