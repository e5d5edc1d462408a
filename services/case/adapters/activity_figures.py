"""The activity and 見守り figures' reads: GROUP BY per month over the indexed time
columns (activities.happened_at, watch_checkins.checked_at, watch_missed.due_at), so a
period costs a few rows whatever the number of activities."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

from services.case.adapters.figures import bucket, within
from services.case.adapters.orm import activities, cases, watch_checkins, watch_missed
from services.case.domain.activity_figures import ActivityCounts


class ActivityFigureQueries:
    """Counts in ``areas`` (None: every area). Activities count in the area they were
    logged for; check-ins and missed check-ins in their case's area and school district."""

    def __init__(self, db: AsyncConnection, areas: Iterable[str] | None) -> None:
        self.db = db
        self.areas = None if areas is None else sorted(areas)

    def _in(self, column: Any) -> ColumnElement[bool]:
        return true() if self.areas is None else column.in_(self.areas)

    async def counts(self, cuts: Sequence[datetime]) -> ActivityCounts:
        """Every count of the months ``cuts`` bounds, each row starting with its month's index."""
        if not cuts:
            return ActivityCounts()
        return ActivityCounts(
            activities=await self._activities(cuts),
            checkins=await self._checkins(cuts),
            missed=await self._missed(cuts),
        )

    async def _activities(self, cuts: Sequence[datetime]) -> list[Any]:
        at = activities.c.happened_at
        rows = (
            select(
                bucket(at, cuts).label("month"),
                activities.c.area,
                activities.c.school_district,
                activities.c.kind,
                activities.c.case_id.is_not(None).label("on_case"),
            )
            .where(within(at, cuts), self._in(activities.c.area))
            .subquery()
        )
        keys = (rows.c.month, rows.c.area, rows.c.school_district, rows.c.kind, rows.c.on_case)
        found: Sequence[Any] = (await self.db.execute(select(*keys, func.count()).group_by(*keys))).all()
        return [(int(m), a, d, k, bool(c), int(n)) for m, a, d, k, c, n in found]

    async def _checkins(self, cuts: Sequence[datetime]) -> list[Any]:
        at = watch_checkins.c.checked_at
        rows = (
            select(bucket(at, cuts).label("month"), cases.c.area, cases.c.school_district, watch_checkins.c.outcome)
            .select_from(watch_checkins.join(cases, cases.c.id == watch_checkins.c.case_id))
            .where(within(at, cuts), self._in(cases.c.area))
            .subquery()
        )
        keys = (rows.c.month, rows.c.area, rows.c.school_district, rows.c.outcome)
        found: Sequence[Any] = (await self.db.execute(select(*keys, func.count()).group_by(*keys))).all()
        return [(int(m), a, d, o, int(n)) for m, a, d, o, n in found]

    async def _missed(self, cuts: Sequence[datetime]) -> list[Any]:
        at = watch_missed.c.due_at
        rows = (
            select(bucket(at, cuts).label("month"), cases.c.area, cases.c.school_district)
            .select_from(watch_missed.join(cases, cases.c.id == watch_missed.c.case_id))
            .where(within(at, cuts), self._in(cases.c.area))
            .subquery()
        )
        keys = (rows.c.month, rows.c.area, rows.c.school_district)
        found: Sequence[Any] = (await self.db.execute(select(*keys, func.count()).group_by(*keys))).all()
        return [(int(m), a, d, int(n)) for m, a, d, n in found]
