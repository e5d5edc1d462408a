"""Referrals as the case sees them, contact records and notes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Select, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.case.adapters.orm import cases, contacts, notes, referrals
from shared.db.sql import count_of


class ReferralRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self.db = db

    async def add(self, row: dict[str, Any]) -> None:
        await self.db.execute(insert(referrals), row)

    async def get(self, referral_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
        query = select(referrals).where(referrals.c.id == referral_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.db.execute(query)).mappings().first()
        return dict(row) if row else None

    async def update(self, referral_id: str, **values: Any) -> None:
        await self.db.execute(update(referrals).where(referrals.c.id == referral_id).values(**values))

    async def of_cases(self, case_ids: list[str]) -> list[dict[str, Any]]:
        rows = await self.db.execute(
            select(referrals).where(referrals.c.case_id.in_(case_ids)).order_by(referrals.c.id)
        )
        return [dict(r) for r in rows.mappings().all()]

    async def needing_attention(self) -> list[dict[str, Any]]:
        """Declined referrals not yet dealt with (few at any time, whatever the case load)."""
        rows = await self.db.execute(
            select(referrals).where(referrals.c.needs_attention.is_(True)).order_by(referrals.c.id)
        )
        return [dict(r) for r in rows.mappings().all()]

    async def requested_in(self, areas: Iterable[str] | None) -> list[tuple[Any, ...]]:
        """What the figures judge each requested referral of a case in ``areas`` (None:
        every area) by: (agency id, urgency, requested, accepted, declined, status)."""
        r = referrals.c
        query = (
            select(r.agency_id, r.urgency, r.requested_at, r.accepted_at, r.declined_at, r.status)
            .join_from(referrals, cases, cases.c.id == r.case_id)
            .where(r.requested_at.is_not(None))
        )
        if areas is not None:
            query = query.where(cases.c.area.in_(sorted(areas)))
        # Read in slices, so the event loop serves other requests between them.
        found: list[tuple[Any, ...]] = []
        async for rows in (await self.db.stream(query)).partitions(2000):
            found.extend(tuple(row) for row in rows)
        return found


class RecordRepository:
    """Contact records (接触記録) and notes (メモ)."""

    def __init__(self, db: AsyncConnection) -> None:
        self.db = db

    async def add_contact(self, row: dict[str, Any]) -> None:
        await self.db.execute(insert(contacts), row)

    async def contacts_of(self, case_ids: list[str], latest: int) -> tuple[list[dict[str, Any]], int]:
        """The ``latest`` contacts, oldest of them first, and how many there are in all."""
        query = select(contacts).where(contacts.c.case_id.in_(case_ids))
        return await _latest(self.db, query, (contacts.c.contacted_at, contacts.c.id), latest)

    async def add_note(self, row: dict[str, Any]) -> None:
        await self.db.execute(insert(notes), row)

    async def notes_of(self, case_ids: list[str], latest: int) -> tuple[list[dict[str, Any]], int]:
        """The ``latest`` notes, oldest of them first, and how many there are in all."""
        query = select(notes).where(notes.c.case_id.in_(case_ids))
        return await _latest(self.db, query, (notes.c.created_at, notes.c.id), latest)


async def _latest(
    db: AsyncConnection, query: Select[Any], order: tuple[ColumnElement[Any], ...], latest: int
) -> tuple[list[dict[str, Any]], int]:
    newest_first = query.order_by(*(c.desc() for c in order)).limit(latest)
    rows = [dict(r) for r in (await db.execute(newest_first)).mappings().all()]
    return rows[::-1], await count_of(db, query)
