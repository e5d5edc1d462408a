"""Recording one notification: the in-app inbox row (addressed to the case's assigned
coordinator where the recipient is its area's coordinators), a delivery per external
channel of the recipient, and ``notification.recorded`` in the outbox — inside the caller's
unit of work, so all of it commits (or not) with the cause."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.notify.adapters.delivery_repository import DeliveryRepository
from services.notify.adapters.repository import NotificationRepository, ProjectionRepository
from services.notify.domain.delivery import channel_targets
from services.notify.domain.routing import Notice, addressed_person
from services.notify.handlers.context import NOTIFY_ACTOR, NotifyContext
from shared.db.uow import UnitOfWork
from shared.events import Envelope, EventPayload, NotificationRecorded, new_event_id
from shared.logging import get_logger

log = get_logger(__name__)


def emit(
    uow: UnitOfWork,
    payload: EventPayload,
    *,
    aggregate_id: str,
    case_id: str | None,
    correlation_id: str,
    causation_id: str | None,
) -> Envelope:
    """Put one of notify's events in the outbox (time from the injected clock)."""
    envelope = Envelope.wrap(
        payload,
        aggregate_id=aggregate_id,
        actor=NOTIFY_ACTOR,
        correlation_id=correlation_id,
        causation_id=causation_id,
        case_id=case_id,
        occurred_at=uow.clock.now(),
    )
    uow.publish(envelope)
    return envelope


async def record_notification(
    uow: UnitOfWork,
    ctx: NotifyContext,
    notice: Notice,
    values: dict[str, Any],
    *,
    about_event_id: str,
    correlation_id: str,
    case_id: str | None = None,
    referral_id: str | None = None,
) -> str | None:
    """Returns the new notification's id, or None if it was already recorded."""
    notifications = NotificationRepository(uow.db)
    role, scope = notice.recipient.role, notice.recipient.scope
    if await notifications.exists(about_event_id, role, scope, notice.kind):
        return None
    assignees = await _assignees(uow, [Recording(notice, values, about_event_id, correlation_id, case_id)])
    rendered = ctx.templates.render(notice.kind, role, values)
    now = uow.clock.now()
    notification_id = new_event_id()
    await notifications.add(
        {
            "id": notification_id,
            "recipient_role": role,
            "recipient_scope": scope,
            "recipient_person": addressed_person(notice.recipient, assignees.get(case_id or "")),
            "kind": notice.kind,
            "title": rendered.title,
            "body": rendered.body,
            "case_id": case_id,
            "referral_id": referral_id,
            "about_event_id": about_event_id,
            "created_at": now,
        }
    )
    for target in external_channels(ctx, role, scope):
        await DeliveryRepository(uow.db).add(
            {
                "id": new_event_id(),
                "notification_id": notification_id,
                "channel": target.channel,
                "target": target.target,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
        )
    emit(
        uow,
        NotificationRecorded(
            notification_id=notification_id,
            recipient_role=role,
            recipient_scope=scope,
            kind=notice.kind,
            case_id=case_id,
            referral_id=referral_id,
            about_event_id=about_event_id,
        ),
        aggregate_id=notification_id,
        case_id=case_id,
        correlation_id=correlation_id,
        causation_id=about_event_id,
    )
    log.info("notification_recorded", kind=notice.kind, recipient_role=role, notification_id=notification_id)
    return notification_id


@dataclass(frozen=True)
class Recording:
    """One notification to record, with what it is about."""

    notice: Notice
    values: dict[str, Any]
    about_event_id: str
    correlation_id: str
    case_id: str | None = None
    referral_id: str | None = None
    event_type: str | None = None  # of the event it is about, for the log


async def record_notifications(uow: UnitOfWork, ctx: NotifyContext, items: list[Recording]) -> list[str | None]:
    """``record_notification`` for many at once, in their order: one INSERT for the
    notifications (those already recorded skipped by the unique key on event,
    recipient and kind), one for their deliveries. Returns each one's new id, or None
    if it was already recorded."""
    rows: list[dict[str, Any]] = []
    assignees = await _assignees(uow, items)
    keys: set[tuple[str, str, str, str]] = set()
    deliveries: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        role, scope, kind = item.notice.recipient.role, item.notice.recipient.scope, item.notice.kind
        key = (item.about_event_id, role, scope, kind)
        if key in keys:  # twice in these: the first one counts
            rows.append({})
            continue
        keys.add(key)
        rendered = ctx.templates.render(kind, role, item.values)
        now = uow.clock.now()
        notification_id = new_event_id()
        rows.append(
            {
                "id": notification_id,
                "recipient_role": role,
                "recipient_scope": scope,
                "recipient_person": addressed_person(item.notice.recipient, assignees.get(item.case_id or "")),
                "kind": kind,
                "title": rendered.title,
                "body": rendered.body,
                "case_id": item.case_id,
                "referral_id": item.referral_id,
                "about_event_id": item.about_event_id,
                "created_at": now,
            }
        )
        deliveries[notification_id] = [
            {
                "id": new_event_id(),
                "notification_id": notification_id,
                "channel": target.channel,
                "target": target.target,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for target in external_channels(ctx, role, scope)
        ]
    inserted = await NotificationRepository(uow.db).add_new([row for row in rows if row])
    await DeliveryRepository(uow.db).add_many(
        [delivery for notification_id in inserted for delivery in deliveries[notification_id]]
    )
    ids: list[str | None] = []
    for item, row in zip(items, rows, strict=True):
        if row.get("id") not in inserted:  # a duplicate (no row) or already recorded
            ids.append(None)
            continue
        notification_id = row["id"]
        role, scope, kind = row["recipient_role"], row["recipient_scope"], row["kind"]
        emit(
            uow,
            NotificationRecorded(
                notification_id=notification_id,
                recipient_role=role,
                recipient_scope=scope,
                kind=kind,
                case_id=item.case_id,
                referral_id=item.referral_id,
                about_event_id=item.about_event_id,
            ),
            aggregate_id=notification_id,
            case_id=item.case_id,
            correlation_id=item.correlation_id,
            causation_id=item.about_event_id,
        )
        log.info(
            "notification_recorded",
            kind=kind,
            recipient_role=role,
            notification_id=notification_id,
            # a batch handler's log lines are not bound to one event: name it
            correlation_id=item.correlation_id,
            event_id=item.about_event_id,
            **({"event_type": item.event_type} if item.event_type else {}),
        )
        ids.append(notification_id)
    return ids


async def _assignees(uow: UnitOfWork, items: list[Recording]) -> dict[str, str]:
    """The assigned coordinators of the cases these notify coordinators about."""
    case_ids = {i.case_id for i in items if i.case_id and i.notice.recipient.role == "coordinator"}
    return await ProjectionRepository(uow.db).assignees(sorted(case_ids))


def external_channels(ctx: NotifyContext, role: str, scope: str) -> list:
    """Agencies may have email and webhook channels in the directory; everyone else
    reads the in-app inbox."""
    if role != "agency":
        return []
    agency = ctx.reference.agency(scope)
    if agency is None:
        return []
    return channel_targets(list(agency.channels), agency.email, agency.webhook_url)
