"""Channel deliveries and their attempts. A worker claims a delivery with a
conditional update (only one replica's update matches), sends outside any
transaction, then records the attempt."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.notify.adapters.orm import deliveries, delivery_attempts, notifications
from shared.db.sql import count_of


class DeliveryRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self.db = db

    async def add(self, row: dict[str, Any]) -> None:
        await self.db.execute(insert(deliveries), row)

    async def add_many(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self.db.execute(insert(deliveries), rows)

    async def due_ids(self, now: datetime, limit: int) -> list[str]:
        rows: Sequence[tuple[str]] = (
            await self.db.execute(
                select(deliveries.c.id)
                .where(
                    deliveries.c.status == "pending",
                    deliveries.c.next_attempt_at <= now,
                    or_(deliveries.c.claimed_until.is_(None), deliveries.c.claimed_until < now),
                )
                .order_by(deliveries.c.next_attempt_at)
                .limit(limit)
            )
        ).all()
        return [r for (r,) in rows]

    async def claim(self, delivery_id: str, worker: str, now: datetime, lease: timedelta) -> bool:
        result = await self.db.execute(
            update(deliveries)
            .where(
                deliveries.c.id == delivery_id,
                deliveries.c.status == "pending",
                deliveries.c.next_attempt_at <= now,
                or_(deliveries.c.claimed_until.is_(None), deliveries.c.claimed_until < now),
            )
            .values(claimed_by=worker, claimed_until=now + lease)
        )
        return result.rowcount == 1

    async def with_notification(self, delivery_id: str) -> Any:
        return (
            await self.db.execute(
                select(
                    deliveries,
                    notifications.c.recipient_role,
                    notifications.c.recipient_scope,
                    notifications.c.kind,
                    notifications.c.title,
                    notifications.c.body,
                    notifications.c.case_id,
                    notifications.c.referral_id,
                    notifications.c.created_at.label("notification_created_at"),
                )
                .select_from(deliveries.join(notifications, deliveries.c.notification_id == notifications.c.id))
                .where(deliveries.c.id == delivery_id)
            )
        ).first()

    async def record_attempt(self, row: dict[str, Any]) -> None:
        await self.db.execute(insert(delivery_attempts), row)

    async def finish(self, delivery_id: str, worker: str, **values: Any) -> bool:
        """Update a delivery this worker still holds; releases the claim."""
        result = await self.db.execute(
            update(deliveries)
            .where(deliveries.c.id == delivery_id, deliveries.c.claimed_by == worker)
            .values(claimed_by=None, claimed_until=None, **values)
        )
        return result.rowcount == 1

    async def listing(self, status: str | None, channel: str | None, offset: int, limit: int) -> tuple[list[Any], int]:
        """One page of deliveries, newest first, and how many match in all."""
        query = select(
            deliveries,
            notifications.c.recipient_role,
            notifications.c.recipient_scope,
            notifications.c.kind,
            notifications.c.referral_id,
            notifications.c.case_id,
        ).select_from(deliveries.join(notifications, deliveries.c.notification_id == notifications.c.id))
        if status:
            query = query.where(deliveries.c.status == status)
        if channel:
            query = query.where(deliveries.c.channel == channel)
        page = query.order_by(deliveries.c.created_at.desc(), deliveries.c.id.desc()).offset(offset).limit(limit)
        return list((await self.db.execute(page)).all()), await count_of(self.db, query)

    async def get(self, delivery_id: str) -> Any:
        return (await self.db.execute(select(deliveries).where(deliveries.c.id == delivery_id))).first()

    async def attempts_of(self, delivery_ids: list[str]) -> dict[str, list[Any]]:
        if not delivery_ids:
            return {}
        rows = await self.db.execute(
            select(delivery_attempts)
            .where(delivery_attempts.c.delivery_id.in_(delivery_ids))
            .order_by(delivery_attempts.c.delivery_id, delivery_attempts.c.attempt)
        )
        found: dict[str, list[Any]] = {}
        for row in rows:
            found.setdefault(row.delivery_id, []).append(row)
        return found

    async def requeue_failed(self, delivery_id: str, now: datetime) -> bool:
        result = await self.db.execute(
            update(deliveries)
            .where(deliveries.c.id == delivery_id, deliveries.c.status == "failed")
            .values(status="pending", next_attempt_at=now, failed_at=None, claimed_by=None, claimed_until=None)
        )
        return result.rowcount == 1

    async def counts(self) -> dict[tuple[str, str], int]:
        """Deliveries by (channel, status)."""
        rows: Sequence[tuple[str, str, int]] = (
            await self.db.execute(
                select(deliveries.c.channel, deliveries.c.status, func.count()).group_by(
                    deliveries.c.channel, deliveries.c.status
                )
            )
        ).all()
        return {(channel, status): count for channel, status, count in rows}
