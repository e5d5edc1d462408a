"""Notify's read side and the few commands its users make (mark read, retry a failed
delivery), and the figures its /metrics reports. Access rules are here, not in the routes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from services.notify.adapters.delivery_repository import DeliveryRepository
from services.notify.adapters.followup_repository import FollowupRepository
from services.notify.adapters.repository import NotificationRepository, ProjectionRepository
from services.notify.domain.policy import LADDER
from services.notify.domain.routing import SUPERVISOR_SCOPE
from services.notify.handlers.context import NotifyContext
from services.notify.handlers.followups import lateness
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound
from shared.http.paging import Window
from shared.identity import Identity


def inbox_scopes(caller: Identity) -> list[str]:
    """A reporter's events name them by token subject; their scope is their id too. A
    community helper's reminders go to ``helper:<account>``."""
    if caller.role == "reporter":
        return sorted({caller.scope, caller.subject})
    if caller.role == "supervisor":
        return sorted({caller.scope, SUPERVISOR_SCOPE})
    if caller.role == "helper":
        return [caller.subject]  # a helper's notices are addressed to their account, not their area
    return [caller.scope]


async def inbox(
    uow: UnitOfWork, ctx: NotifyContext, caller: Identity, *, unread_only: bool, window: Window, kind: str | None
) -> tuple[list[Any], int, int]:
    """One page of the caller's notifications, how many match in all, and how many are unread."""
    if kind is not None and kind not in ctx.templates.templates:
        raise InvalidInput(
            f"通知の種類「{kind}」はありません(使える値: {', '.join(sorted(ctx.templates.templates))})。", field="kind"
        )
    async with uow:
        repo = NotificationRepository(uow.db)
        scopes = inbox_scopes(caller)
        rows, total = await repo.inbox(
            caller.role,
            scopes,
            caller.subject,
            unread_only=unread_only,
            offset=window.offset,
            limit=window.limit,
            kind=kind,
        )
        return rows, total, await repo.unread_count(caller.role, scopes, caller.subject)


async def mark_read(uow: UnitOfWork, caller: Identity, notification_id: str) -> Any:
    async with uow:
        repo = NotificationRepository(uow.db)
        scopes = inbox_scopes(caller)
        if await repo.get_for(notification_id, caller.role, scopes, caller.subject) is None:
            raise NotFound("この通知は見つかりません(または閲覧権限がありません)。")
        await repo.mark_read(notification_id, caller.subject, uow.clock.now())
        await uow.commit()
        return await repo.get_for(notification_id, caller.role, scopes, caller.subject)


async def deliveries(
    uow: UnitOfWork, *, status: str | None, channel: str | None, window: Window
) -> tuple[list[Any], int, dict[str, list[Any]]]:
    async with uow:
        repo = DeliveryRepository(uow.db)
        rows, total = await repo.listing(status, channel, window.offset, window.limit)
        return rows, total, await repo.attempts_of([r.id for r in rows])


async def retry_delivery(uow: UnitOfWork, delivery_id: str) -> None:
    async with uow:
        repo = DeliveryRepository(uow.db)
        row = await repo.get(delivery_id)
        if row is None:
            raise NotFound("この配信は見つかりません。")
        if not await repo.requeue_failed(delivery_id, uow.clock.now()):
            raise Conflict(f"配信の状態が「{row.status}」のため再送できません(再送できるのは failed のみ)。")
        await uow.commit()


@dataclass(frozen=True)
class OverdueItem:
    row: Any
    late_business_days: int
    late_hours: float
    late_text: str
    escalated_to: str | None


@dataclass(frozen=True)
class OverdueList:
    """A page of overdue items, how many there are, and all of them counted by agency and by area."""

    items: list[OverdueItem]
    total: int
    by_agency: list[tuple[str, int]]
    by_area: list[tuple[str, int]]


def visible_area(caller: Identity, area: str | None) -> str | None:
    """Coordinators see their own area only; supervisors see all (or filter)."""
    if caller.role == "coordinator":
        if area is not None and area != caller.scope:
            raise Forbidden(f"担当地域({caller.scope})以外の期限超過は閲覧できません。", field="area")
        return caller.scope
    if caller.role == "supervisor":
        return area
    raise Forbidden("期限超過の一覧はコーディネーターと管理者のみ閲覧できます。")


async def overdue(
    uow: UnitOfWork, ctx: NotifyContext, caller: Identity, *, area: str | None, agency_id: str | None, window: Window
) -> OverdueList:
    area = visible_area(caller, area)
    if area is not None and area not in ctx.reference.area_ids():
        raise InvalidInput(f"地域「{area}」は登録されていません。", field="area")
    if agency_id is not None and ctx.reference.agency(agency_id) is None:
        raise InvalidInput(f"関連機関「{agency_id}」は登録されていません。", field="agency")
    async with uow:
        now = uow.clock.now()
        repository = FollowupRepository(uow.db)
        rows, total = await repository.overdue(now, area, agency_id, window.offset, window.limit)
        counted = await repository.overdue_counts(now, area, agency_id)
    items = []
    for row in rows:
        days, hours, text = lateness(ctx, row, now)
        items.append(
            OverdueItem(
                row=row,
                late_business_days=days,
                late_hours=hours,
                late_text=text,
                escalated_to=LADDER[row.level - 1] if row.level else None,
            )
        )
    by_agency: Counter[str] = Counter()
    by_area: Counter[str] = Counter()
    for agency, in_area, n in counted:
        by_agency[agency] += n
        by_area[in_area] += n
    return OverdueList(items, total, by_agency.most_common(), by_area.most_common())


async def referral_followups(uow: UnitOfWork, caller: Identity, referral_id: str) -> tuple[Any, list[Any]]:
    if caller.role not in ("coordinator", "supervisor"):
        raise Forbidden("フォローアップはコーディネーターと管理者のみ閲覧できます。")
    async with uow:
        referral = await ProjectionRepository(uow.db).referral(referral_id)
        if referral is None or (caller.role == "coordinator" and referral.area != caller.scope):
            raise NotFound("この依頼のフォローアップは見つかりません(または閲覧権限がありません)。")
        return referral, await FollowupRepository(uow.db).for_referral(referral_id)


@dataclass(frozen=True)
class Figures:
    """Counts for /metrics. Timers are keyed by (step, rungs fired), deliveries by
    (channel, status)."""

    followups_pending: dict[tuple[str, int], int]
    followups_due: dict[tuple[str, int], int]
    followups_overdue: dict[tuple[str, int], int]
    deliveries: dict[tuple[str, str], int]


async def figures(uow: UnitOfWork) -> Figures:
    async with uow:
        timers = await FollowupRepository(uow.db).counts(uow.clock.now())
        deliveries_by = await DeliveryRepository(uow.db).counts()
    return Figures(
        followups_pending={(r.step, r.level): int(r.pending) for r in timers},
        followups_due={(r.step, r.level): int(r.due or 0) for r in timers},
        followups_overdue={(r.step, r.level): int(r.overdue or 0) for r in timers},
        deliveries=deliveries_by,
    )
