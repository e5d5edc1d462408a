"""The durable follow-up timers. Firing a rung is one conditional update on the
timer's ``level``: of two replicas that both saw the timer due, exactly one update
matches, and it is committed with the notification and the outbox row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.notify.adapters.orm import followup_firings, followups, referrals
from shared.db.sql import count_of, insert_if_absent, insert_new


class FollowupRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self.db = db

    async def add(self, row: dict[str, Any]) -> bool:
        """False if this (referral, step, round) already has a timer."""
        return await insert_if_absent(self.db, followups, row)

    async def add_new(self, rows: list[dict[str, Any]]) -> set[str]:
        """Each row whose (referral, step, round) has no timer yet, in one statement: their ids."""
        return await insert_new(self.db, followups, rows, followups.c.id)

    async def add_one_round(
        self,
        *,
        id: str,
        subject: str,
        key: str,
        case_id: str,
        owner: str,
        area: str,
        due: datetime,
        started_at: datetime,
        correlation_id: str | None,
        watcher_kind: str | None = None,
    ) -> bool:
        """A timer of one round on the policy's own spans (a helper's task, an approval
        request, a conference's task): ``key`` is what it chases, ``owner`` who is
        reminded first."""
        return await self.add(
            {
                "id": id,
                "subject": subject,
                "watcher_kind": watcher_kind,
                "referral_id": key,
                "case_id": case_id,
                "agency_id": owner,
                "agency_kind": None,
                "area": area,
                "urgency": None,
                "calendar": None,
                "correlation_id": correlation_id,
                "step": subject,
                "round": 1,
                "started_at": started_at,
                "due_at": due,
                "level": 0,
                "next_fire_at": due,
                "status": "pending",
            }
        )

    async def exists(self, referral_id: str, step: str, round_: int | None = None) -> bool:
        query = select(followups.c.id).where(followups.c.referral_id == referral_id, followups.c.step == step)
        if round_ is not None:
            query = query.where(followups.c.round == round_)
        return (await self.db.execute(query.limit(1))).first() is not None

    async def latest_round(self, referral_id: str, step: str) -> Any:
        return (
            await self.db.execute(
                select(followups)
                .where(followups.c.referral_id == referral_id, followups.c.step == step)
                .order_by(followups.c.round.desc())
                .limit(1)
            )
        ).first()

    async def end_pending(self, referral_id: str, steps: list[str], status: str, at: datetime, event_id: str) -> int:
        result = await self.db.execute(
            update(followups)
            .where(followups.c.referral_id == referral_id, followups.c.step.in_(steps), followups.c.status == "pending")
            .values(status=status, next_fire_at=None, ended_at=at, ended_by_event=event_id)
        )
        return int(result.rowcount or 0)

    async def move_case(self, case_id: str, area: str) -> None:
        await self.db.execute(update(followups).where(followups.c.case_id == case_id).values(area=area))

    async def align_due(self, referral_id: str, step: str, due_at: datetime) -> int:
        """Adopt the deadline the agency was shown, if nothing has fired yet."""
        result = await self.db.execute(
            update(followups)
            .where(
                followups.c.referral_id == referral_id,
                followups.c.step == step,
                followups.c.round == 1,
                followups.c.status == "pending",
                followups.c.level == 0,
            )
            .values(due_at=due_at, next_fire_at=due_at)
        )
        return int(result.rowcount or 0)

    async def due(self, now: datetime, limit: int) -> list[Any]:
        rows = await self.db.execute(
            select(followups.c.id, followups.c.level)
            .where(followups.c.status == "pending", followups.c.next_fire_at <= now)
            .order_by(followups.c.next_fire_at, followups.c.id)
            .limit(limit)
        )
        return list(rows.all())

    async def get(self, followup_id: str) -> Any:
        return (await self.db.execute(select(followups).where(followups.c.id == followup_id))).first()

    async def advance(
        self, followup_id: str, *, from_level: int, now: datetime, next_fire_at: datetime | None, worker: str
    ) -> bool:
        """Fire one rung: succeeds for exactly one caller per (timer, level)."""
        result = await self.db.execute(
            update(followups)
            .where(
                followups.c.id == followup_id,
                followups.c.level == from_level,
                followups.c.status == "pending",
                followups.c.next_fire_at <= now,
            )
            .values(level=from_level + 1, next_fire_at=next_fire_at, last_fired_at=now, fired_by=worker)
        )
        return result.rowcount == 1

    async def record_firing(self, row: dict[str, Any]) -> None:
        await self.db.execute(insert(followup_firings), row)

    async def for_referral(self, referral_id: str) -> list[Any]:
        rows = await self.db.execute(
            select(followups)
            .where(followups.c.referral_id == referral_id)
            .order_by(followups.c.started_at, followups.c.step, followups.c.round)
        )
        return list(rows.all())

    async def overdue(
        self, now: datetime, area: str | None, agency_id: str | None, offset: int, limit: int
    ) -> tuple[list[Any], int]:
        """One page of the referrals' timers past their deadline, oldest first, and how many
        there are (a watch plan's missed check-in shows on its case page)."""
        query = (
            select(followups, referrals.c.case_number)
            .select_from(followups.outerjoin(referrals, followups.c.referral_id == referrals.c.referral_id))
            .where(and_(followups.c.status == "pending", followups.c.due_at < now, followups.c.subject == "referral"))
        )
        if area:
            query = query.where(followups.c.area == area)
        if agency_id:
            query = query.where(followups.c.agency_id == agency_id)
        page = query.order_by(followups.c.due_at, followups.c.id).offset(offset).limit(limit)
        return list((await self.db.execute(page)).all()), await count_of(self.db, query)

    async def overdue_counts(self, now: datetime, area: str | None, agency_id: str | None) -> list[Any]:
        """Every overdue referral timer in scope counted by (agency, area), not only a page's."""
        where = [followups.c.status == "pending", followups.c.due_at < now, followups.c.subject == "referral"]
        if area:
            where.append(followups.c.area == area)
        if agency_id:
            where.append(followups.c.agency_id == agency_id)
        query = (
            select(followups.c.agency_id, followups.c.area, func.count().label("n"))
            .where(*where)
            .group_by(followups.c.agency_id, followups.c.area)
        )
        return list((await self.db.execute(query)).all())

    async def counts(self, now: datetime) -> list[Any]:
        """Pending timers by step and rungs fired: how many, how many have a rung due
        to fire now, how many are past their deadline."""
        rows = await self.db.execute(
            select(
                followups.c.step,
                followups.c.level,
                func.count().label("pending"),
                func.sum(case((followups.c.next_fire_at <= now, 1), else_=0)).label("due"),
                func.sum(case((followups.c.due_at < now, 1), else_=0)).label("overdue"),
            )
            .where(followups.c.status == "pending")
            .group_by(followups.c.step, followups.c.level)
        )
        return list(rows.all())
