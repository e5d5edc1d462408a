"""Notify's HTTP routes: parse, check the caller, call one query or command, shape
the answer."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from services.notify.domain.templates import STEP_LABELS
from services.notify.entrypoints.dependencies import Services
from services.notify.entrypoints.schemas import (
    Deliveries,
    DeliveryOut,
    FollowupOut,
    Followups,
    Inbox,
    NotificationOut,
    Overdue,
    OverdueCount,
    OverdueOut,
)
from services.notify.handlers import queries
from shared.clock import as_utc, jst_text
from shared.http.paging import Window, page_of, paging
from shared.identity import CurrentIdentity, require_role

router = APIRouter(prefix="/v1")

Id = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")]


@router.get(
    "/notifications", response_model=Inbox, tags=["notifications"], summary="自分あての通知 (the caller's in-app inbox)"
)
async def list_notifications(
    request: Request,
    services: Services,
    caller: CurrentIdentity,
    window: Annotated[Window, Depends(paging(default=100, maximum=500))],
    unread: bool = False,
    kind: Annotated[str | None, Query(max_length=60)] = None,
) -> Inbox:
    rows, total, unread_count = await queries.inbox(
        services.runtime.unit_of_work(), services.context, caller, unread_only=unread, window=window, kind=kind
    )
    reporter = caller.role in ("reporter", "helper")  # no case or referral ids for them
    return Inbox(
        recipient=f"{caller.role}:{queries.inbox_scopes(caller)[0] if caller.role == 'helper' else caller.scope}",
        unread_count=unread_count,
        **page_of(window, [NotificationOut.of(r, for_reporter=reporter) for r in rows], total),
    )


@router.post(
    "/notifications/{notification_id}/read",
    response_model=NotificationOut,
    tags=["notifications"],
    summary="通知を既読にする (mark read; idempotent)",
)
async def read_notification(
    notification_id: Id, request: Request, services: Services, caller: CurrentIdentity
) -> NotificationOut:
    row = await queries.mark_read(services.runtime.unit_of_work(), caller, notification_id)
    return NotificationOut.of(row, for_reporter=caller.role in ("reporter", "helper"))


@router.get(
    "/deliveries",
    response_model=Deliveries,
    tags=["deliveries"],
    summary="メール・Webhook の配信状況 (supervisors; ?status=failed)",
)
async def list_deliveries(
    request: Request,
    services: Services,
    caller: CurrentIdentity,
    window: Annotated[Window, Depends(paging(default=100, maximum=500))],
    status: Literal["pending", "delivered", "failed"] | None = None,
    channel: Literal["email", "webhook"] | None = None,
) -> Deliveries:
    require_role(caller, "supervisor")
    rows, total, attempts = await queries.deliveries(
        services.runtime.unit_of_work(), status=status, channel=channel, window=window
    )
    return Deliveries(**page_of(window, [DeliveryOut.of(r, attempts.get(r.id, [])) for r in rows], total))


@router.post(
    "/deliveries/{delivery_id}/retry",
    status_code=202,
    tags=["deliveries"],
    summary="失敗した配信をもう一度送る (supervisors)",
)
async def retry_delivery(
    delivery_id: Id, request: Request, services: Services, caller: CurrentIdentity
) -> dict[str, str]:
    require_role(caller, "supervisor")
    await queries.retry_delivery(services.runtime.unit_of_work(), delivery_id)
    return {"status": "pending", "delivery_id": delivery_id}


@router.get(
    "/overdue",
    response_model=Overdue,
    tags=["follow-ups"],
    summary="期限を過ぎた依頼 (coordinators: their area; supervisors: all)",
)
async def list_overdue(
    request: Request,
    services: Services,
    caller: CurrentIdentity,
    window: Annotated[Window, Depends(paging(default=200, maximum=500))],
    area: Annotated[str | None, Query(max_length=40)] = None,
    agency: Annotated[str | None, Query(max_length=64, description="agency id")] = None,
) -> Overdue:
    uow = services.runtime.unit_of_work()
    found = await queries.overdue(uow, services.context, caller, area=area, agency_id=agency, window=window)
    items, total = found.items, found.total
    now = uow.clock.now()
    rows = [
        OverdueOut(
            referral_id=i.row.referral_id,
            case_id=i.row.case_id,
            case_number=i.row.case_number,
            agency_id=i.row.agency_id,
            agency_name=services.context.agency_name(i.row.agency_id),
            area=i.row.area,
            urgency=i.row.urgency,
            step=i.row.step,
            step_label=STEP_LABELS.get(i.row.step, i.row.step),
            round=i.row.round,
            due_at=as_utc(i.row.due_at),
            due_at_jst=jst_text(i.row.due_at),
            late_business_days=i.late_business_days,
            late_hours=i.late_hours,
            late=i.late_text,
            escalated_to=i.escalated_to,
        )
        for i in items
    ]
    return Overdue(
        as_of=as_utc(now),
        as_of_jst=jst_text(now),
        count=total,
        by_agency=[OverdueCount(key=a, name=services.context.agency_name(a), n=n) for a, n in found.by_agency],
        by_area=[OverdueCount(key=a, name=a, n=n) for a, n in found.by_area],
        **page_of(window, rows, total),
    )


@router.get(
    "/referrals/{referral_id}/followups",
    response_model=Followups,
    tags=["follow-ups"],
    summary="依頼のフォローアップ(期限と督促の状況)",
)
async def referral_followups(
    referral_id: Id, request: Request, services: Services, caller: CurrentIdentity
) -> Followups:
    referral, rows = await queries.referral_followups(services.runtime.unit_of_work(), caller, referral_id)
    return Followups(
        referral_id=referral_id,
        area=referral.area,
        agency_id=referral.agency_id,
        status=referral.status,
        items=[FollowupOut.of(r) for r in rows],
    )
