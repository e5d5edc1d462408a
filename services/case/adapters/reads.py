"""The read log: who read which case (or which of its referrals), which view, when —
for every role, written in the read's own transaction (or applied from
``referral.viewed``), never through a buffer a crash could lose."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.case.adapters.orm import case_reads
from shared.db.sql import count_of

# A case's reads by time: oldest first (the disclosure's order) or newest first (an auditor's).
ReadOrder = Literal["oldest", "newest"]


class ReadLog:
    def __init__(self, db: AsyncConnection) -> None:
        self.db = db

    async def record(
        self, case_id: str, role: str, reader_id: str, what: str, at: datetime, referral_id: str | None = None
    ) -> None:
        await self.record_many(
            [
                dict(
                    case_id=case_id,
                    reader_role=role,
                    reader_id=reader_id,
                    what=what,
                    read_at=at,
                    referral_id=referral_id,
                )
            ]
        )

    async def record_many(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self.db.execute(insert(case_reads), rows)

    async def of_case(
        self, case_id: str, offset: int, limit: int, order: ReadOrder = "oldest"
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of a case's reads in ``order``, and how many there are."""
        return await self._page(select(case_reads).where(case_reads.c.case_id == case_id), offset, limit, order)

    async def of_reader(
        self, reader_id: str, offset: int, limit: int, order: ReadOrder = "oldest"
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of what one person read in ``order``, and how many reads there are."""
        return await self._page(select(case_reads).where(case_reads.c.reader_id == reader_id), offset, limit, order)

    async def _page(self, query: Any, offset: int, limit: int, order: ReadOrder) -> tuple[list[dict[str, Any]], int]:
        by_time = (case_reads.c.read_at, case_reads.c.id)
        # Newest first reads the same indexes backwards (ix_case_reads_case_read_at, ix_case_reads_reader).
        ordered = query.order_by(*(c.desc() for c in by_time)) if order == "newest" else query.order_by(*by_time)
        page = ordered.offset(offset).limit(limit)
        rows = [dict(r) for r in (await self.db.execute(page)).mappings().all()]
        return rows, await count_of(self.db, query)
