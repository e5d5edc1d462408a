"""The PDCA figures' reads: counted, ranked and bucketed by the database (GROUP BY,
window functions), filtered to the period's time range in SQL, so what comes back is a
few rows per month whatever the number of cases."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Text, and_, case, cast, extract, func, or_, select, true, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from services.case.adapters.orm import case_consultations, cases
from services.case.domain.figures import QUANTILES

MEASURES = ("first_contact_at", "first_handoff_at")


def _bucket(column: Any, cuts: Sequence[datetime]) -> ColumnElement[int]:
    """The index of the range [cuts[i], cuts[i + 1]) the value falls in."""
    return case(*((column < cut, i) for i, cut in enumerate(cuts[1:])))


def _within(column: Any, cuts: Sequence[datetime]) -> ColumnElement[bool]:
    return and_(column >= cuts[0], column < cuts[-1])


class FigureQueries:
    """Reads over the cases of ``areas`` (None: every area); cases merged into another
    are counted once, as the case they were merged into."""

    def __init__(self, db: AsyncConnection, areas: Iterable[str] | None) -> None:
        self.db = db
        self.areas = None if areas is None else sorted(areas)

    def _in_scope(self) -> ColumnElement[bool]:
        return true() if self.areas is None else cases.c.area.in_(self.areas)

    async def consultations(self, cuts: Sequence[datetime]) -> list[tuple[int, str, str, str, int]]:
        """Per month (index into ``cuts``), area, school district and channel: how many
        consultations were received."""
        received = case_consultations.c.received_at
        rows = (
            select(
                _bucket(received, cuts).label("month"),
                cases.c.area,
                case_consultations.c.school_district,
                case_consultations.c.channel,
            )
            .select_from(case_consultations.join(cases, cases.c.id == case_consultations.c.case_id))
            .where(_within(received, cuts), self._in_scope())
            .subquery()
        )
        query = select(rows.c.month, rows.c.area, rows.c.school_district, rows.c.channel, func.count()).group_by(
            rows.c.month, rows.c.area, rows.c.school_district, rows.c.channel
        )
        return [tuple(r) for r in (await self.db.execute(query)).all()]  # type: ignore[misc]

    async def categories(self, cuts: Sequence[datetime]) -> list[tuple[int, str, int]]:
        """Per month and category: how many consultations carried it."""
        counted: Counter[tuple[int, str]] = Counter()
        for month, _, category, n in await self.categories_by_area(cuts):
            counted[(month, category)] += n
        return [(month, category, n) for (month, category), n in counted.items()]

    async def categories_by_area(self, cuts: Sequence[datetime]) -> list[tuple[int, str, str, int]]:
        """Per month, area and category: how many consultations carried it."""
        received = case_consultations.c.received_at
        # Grouped by the whole list as stored (a few distinct lists per month), then each
        # list is split here: no JSON function per row, the same SQL on both databases.
        rows = (
            select(
                _bucket(received, cuts).label("month"),
                cases.c.area,
                cast(case_consultations.c.categories, Text).label("categories"),
            )
            .select_from(case_consultations.join(cases, cases.c.id == case_consultations.c.case_id))
            .where(_within(received, cuts), self._in_scope())
            .subquery()
        )
        query = select(rows.c.month, rows.c.area, rows.c.categories, func.count()).group_by(
            rows.c.month, rows.c.area, rows.c.categories
        )
        counted: Counter[tuple[int, str, str]] = Counter()
        listings: Sequence[tuple[int, str, str, int]] = (await self.db.execute(query)).all()
        for month, area, listed, n in listings:
            for category in json.loads(listed):
                counted[(int(month), area, category)] += int(n)
        return [(month, area, category, n) for (month, area, category), n in counted.items()]

    async def cases_opened(self, cuts: Sequence[datetime]) -> list[tuple[int, str, int]]:
        """Per month and area: how many cases were opened."""
        rows = (
            select(_bucket(cases.c.opened_at, cuts).label("month"), cases.c.area)
            .where(_within(cases.c.opened_at, cuts), cases.c.merged_into.is_(None), self._in_scope())
            .subquery()
        )
        query = select(rows.c.month, rows.c.area, func.count()).group_by(rows.c.month, rows.c.area)
        return [tuple(r) for r in (await self.db.execute(query)).all()]  # type: ignore[misc]

    async def duration_ranks(self, measure: str, cuts: Sequence[datetime]) -> list[tuple[int, int, int, float]]:
        """For the cases opened in each range that reached ``measure`` (first contact or
        first handoff): the hours it took at the ranks around each quantile, as
        (range, 0-based rank, cases in the range, hours) — ``durations_by_group`` reads them."""
        if measure not in MEASURES:
            raise ValueError(f"not a measure: {measure}")
        hours = self._hours(cases.c.opened_at, cases.c[measure])
        rows = (
            select(_bucket(cases.c.opened_at, cuts).label("bucket"), case((hours < 0, 0.0), else_=hours).label("hours"))
            .where(
                _within(cases.c.opened_at, cuts),
                cases.c[measure].is_not(None),
                cases.c.merged_into.is_(None),
                self._in_scope(),
            )
            .subquery()
        )
        ranked = select(
            rows.c.bucket,
            rows.c.hours,
            (func.row_number().over(partition_by=rows.c.bucket, order_by=rows.c.hours) - 1).label("rank"),
            func.count().over(partition_by=rows.c.bucket).label("n"),
        ).subquery()
        # The ranks quantile() reads are next to q * (n - 1); one more each side so the
        # database's float arithmetic (rounding or truncating) never leaves one out.
        near = or_(
            *(
                and_(ranked.c.rank >= (ranked.c.n - 1) * q - 1, ranked.c.rank <= (ranked.c.n - 1) * q + 1)
                for q in QUANTILES
            )
        )
        query = select(ranked.c.bucket, ranked.c.rank, ranked.c.n, ranked.c.hours).where(near)
        ranks: Sequence[tuple[int, int, int, float | Decimal]] = (await self.db.execute(query)).all()
        return [(int(b), int(r), int(n), float(h)) for b, r, n, h in ranks]

    async def open_case_ages(
        self, cutoffs: Sequence[tuple[str, datetime]], oldest: str, open_statuses: Iterable[str]
    ) -> dict[str, int]:
        """Open cases per age bucket: a case is in the first bucket opened after its cutoff."""
        bucket = case(*((cases.c.opened_at > cutoff, label) for label, cutoff in cutoffs), else_=oldest)
        rows = (
            select(bucket.label("bucket"))
            .where(cases.c.status.in_(list(open_statuses)), cases.c.merged_into.is_(None), self._in_scope())
            .subquery()
        )
        query = select(rows.c.bucket, func.count()).group_by(rows.c.bucket)
        counts: Sequence[tuple[str, int]] = (await self.db.execute(query)).all()
        return {label: int(n) for label, n in counts}

    async def first_and_last(self) -> tuple[datetime, datetime] | None:
        """The earliest and latest moment a consultation was received or a case opened."""
        received = case_consultations.c.received_at
        joined = case_consultations.join(cases, cases.c.id == case_consultations.c.case_id)
        query = union_all(
            select(func.min(received), func.max(received)).select_from(joined).where(self._in_scope()),
            select(func.min(cases.c.opened_at), func.max(cases.c.opened_at)).where(self._in_scope()),
        )
        ends = [at for row in (await self.db.execute(query)).all() for at in row if at is not None]
        return (min(ends), max(ends)) if ends else None

    async def cases_by_status(self) -> dict[str, int]:
        """Cases (not merged into another) per status, now."""
        query = (
            select(cases.c.status, func.count())
            .where(cases.c.merged_into.is_(None), self._in_scope())
            .group_by(cases.c.status)
        )
        counts: Sequence[tuple[str, int]] = (await self.db.execute(query)).all()
        return {status: int(n) for status, n in counts}

    async def duration_totals(self, measure: str) -> tuple[int, float | None, float | None]:
        """For every case (not merged) that reached ``measure``: how many, the mean and
        the longest time it took, in hours."""
        if measure not in MEASURES:
            raise ValueError(f"not a measure: {measure}")
        hours = self._hours(cases.c.opened_at, cases.c[measure])
        clamped = case((hours < 0, 0.0), else_=hours)
        query = select(func.count(), func.avg(clamped), func.max(clamped)).where(
            cases.c[measure].is_not(None), cases.c.merged_into.is_(None), self._in_scope()
        )
        totals: tuple[int, float | Decimal | None, float | Decimal | None] = (await self.db.execute(query)).one()
        n, mean, longest = totals
        return int(n), None if mean is None else float(mean), None if longest is None else float(longest)

    def _hours(self, start: Any, end: Any) -> ColumnElement[float | Decimal]:
        if self.db.dialect.name == "postgresql":
            return extract("epoch", end - start) / 3600.0
        return (func.julianday(end) - func.julianday(start)) * 24.0
