"""Approval requests (監督者の承認) in the case database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.case.adapters.orm import approvals


class ApprovalRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self.db = db

    async def add(self, row: dict[str, Any]) -> None:
        await self.db.execute(insert(approvals), row)

    async def get(self, approval_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
        query = select(approvals).where(approvals.c.id == approval_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.db.execute(query)).mappings().first()
        return dict(row) if row else None

    async def update(self, approval_id: str, **values: Any) -> None:
        await self.db.execute(update(approvals).where(approvals.c.id == approval_id).values(**values))

    async def open_of(self, case_ids: list[str], move: str) -> list[dict[str, Any]]:
        """The case's requests for ``move`` still waiting (pending or approved)."""
        rows = await self.db.execute(
            select(approvals).where(
                approvals.c.case_id.in_(case_ids),
                approvals.c.move == move,
                approvals.c.kind == "approval",
                approvals.c.status.in_(("pending", "approved")),
            )
        )
        return [dict(r) for r in rows.mappings().all()]

    async def of_cases(self, case_ids: list[str]) -> list[dict[str, Any]]:
        rows = await self.db.execute(
            select(approvals)
            .where(approvals.c.case_id.in_(case_ids))
            .order_by(approvals.c.requested_at.desc(), approvals.c.id.desc())
        )
        return [dict(r) for r in rows.mappings().all()]

    async def page(
        self, *, statuses: list[str] | None, area: str | None, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        """The queue: the oldest waiting first (what is left longest is answered first)."""
        where: list[ColumnElement[bool]] = []
        if statuses:
            where.append(approvals.c.status.in_(statuses))
        if area is not None:
            where.append(approvals.c.area == area)
        total = (await self.db.execute(select(func.count()).select_from(approvals).where(*where))).scalar_one()
        rows = await self.db.execute(
            select(approvals)
            .where(*where)
            .order_by(approvals.c.requested_at, approvals.c.id)
            .offset(offset)
            .limit(limit)
        )
        return [dict(r) for r in rows.mappings().all()], int(total)
