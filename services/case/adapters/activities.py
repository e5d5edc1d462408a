"""Activities (活動) and missed check-ins in the case database."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.case.adapters.orm import activities, watch_missed
from shared.db.sql import count_of, insert_if_absent


class ActivityRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self.db = db

    async def add(self, row: dict[str, Any]) -> None:
        await self.db.execute(insert(activities), row)

    async def of_cases(self, case_ids: list[str], *, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        """The activities of the cases (a case and those merged into it), newest first."""
        return await self._page(select(activities).where(activities.c.case_id.in_(case_ids)), offset, limit)

    async def of_areas(
        self, areas: Iterable[str] | None, *, without_case: bool, kind: str | None, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        """The activities in ``areas`` (None: every area), newest first; ``without_case``:
        only those logged for the area, not on a case."""
        query = select(activities)
        if areas is not None:
            query = query.where(activities.c.area.in_(sorted(areas)))
        if without_case:
            query = query.where(activities.c.case_id.is_(None))
        if kind is not None:
            query = query.where(activities.c.kind == kind)
        return await self._page(query, offset, limit)

    async def _page(self, query: Select[Any], offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        total = await count_of(self.db, query)
        ordered = query.order_by(activities.c.happened_at.desc(), activities.c.id.desc()).offset(offset).limit(limit)
        rows = (await self.db.execute(ordered)).mappings().all()
        return [dict(r) for r in rows], total

    async def add_missed(self, row: dict[str, Any]) -> bool:
        """A check-in timer fired: recorded once, whichever rung of it arrives first."""
        return await insert_if_absent(self.db, watch_missed, row)
