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

from sqlalchemy import ColumnElement, Text, and_, case, cast, func, literal, or_, select, true, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from services.case.adapters.member_figures import member_categories
from services.case.adapters.orm import case_consultations, cases
from services.case.adapters.queue_tables import closed_counts
from services.case.domain.figures import QUANTILES
from services.case.domain.period_figures import Durations, durations_by_group
from services.case.domain.status import CLOSED, OPEN_STATUSES

# Each from intake's receipt of the consultation that opened the case.
MEASURES = ("assigned_at", "triaged_at", "first_contact_at", "first_handoff_at")


def bucket(column: Any, cuts: Sequence[datetime]) -> ColumnElement[int]:
    """The index of the range [cuts[i], cuts[i + 1]) the value falls in."""
    return case(*((column < cut, i) for i, cut in enumerate(cuts[1:])))


def within(column: Any, cuts: Sequence[datetime]) -> ColumnElement[bool]:
    return and_(column >= cuts[0], column < cuts[-1])


class FigureQueries:
    """Reads over the cases of ``areas`` (None: every area); cases merged into another
    are counted once, as the case they were merged into."""

    def __init__(self, db: AsyncConnection, areas: Iterable[str] | None) -> None:
        self.db = db
        self.areas = None if areas is None else sorted(areas)

    def _in_scope(self) -> ColumnElement[bool]:
        return true() if self.areas is None else cases.c.area.in_(self.areas)

    def _received(self, cuts: Sequence[datetime], *columns: Any) -> Any:
        """The consultations received within ``cuts`` (month: the index of theirs) with
        their case's area, in scope. Over one month (the current one, mostly) the area is
        looked up per consultation by the case's key — a few thousand lookups instead of
        hashing every case; over more months a join hashes the cases once."""
        received = case_consultations.c.received_at
        if len(cuts) > 2:
            rows = (
                select(bucket(received, cuts).label("month"), cases.c.area, *columns)
                .select_from(case_consultations.join(cases, cases.c.id == case_consultations.c.case_id))
                .where(within(received, cuts), self._in_scope())
                .subquery()
            )
            return rows, true()
        area = select(cases.c.area).where(cases.c.id == case_consultations.c.case_id).scalar_subquery()
        rows = (
            select(bucket(received, cuts).label("month"), area.label("area"), *columns)
            .where(within(received, cuts))
            .subquery()
        )
        # Every consultation has its case (written together, never deleted): no filter
        # for the city, so the lookup runs once a row.
        return rows, true() if self.areas is None else rows.c.area.in_(self.areas)

    async def consultations(self, cuts: Sequence[datetime]) -> list[tuple[int, str, str, str, int]]:
        """Per month (index into ``cuts``), area, school district and channel: how many
        consultations were received."""
        rows, in_scope = self._received(cuts, case_consultations.c.school_district, case_consultations.c.channel)
        keys = (rows.c.month, rows.c.area, rows.c.school_district, rows.c.channel)
        query = select(*keys, func.count()).where(in_scope).group_by(*keys)
        return [tuple(r) for r in (await self.db.execute(query)).all()]  # type: ignore[misc]

    async def categories(self, cuts: Sequence[datetime]) -> list[tuple[int, str, int]]:
        """Per month and category: how many consultations carried it."""
        counted: Counter[tuple[int, str]] = Counter()
        for month, _, category, n in await self.categories_by_area(cuts):
            counted[(month, category)] += n
        return [(month, category, n) for (month, category), n in counted.items()]

    async def categories_by_area(self, cuts: Sequence[datetime]) -> list[tuple[int, str, str, int]]:
        """Per month, area and category: how many consultations carried it (or a member of
        their case's household did)."""
        # Grouped by the whole list as stored (a few distinct lists per month), then each
        # list is split here: no JSON function per row, the same SQL on both databases.
        rows, in_scope = self._received(
            cuts, cast(case_consultations.c.categories, Text).label("categories"), case_consultations.c.case_id
        )
        keys = (rows.c.month, rows.c.area, rows.c.categories)
        query = select(*keys, func.count()).where(in_scope).group_by(*keys)
        # Household members' own categories count too (adapters/member_figures.py).
        counted = await member_categories(self.db, rows, in_scope)
        listings: Sequence[tuple[int, str, str, int]] = (await self.db.execute(query)).all()
        for month, area, listed, n in listings:
            for category in json.loads(listed):
                counted[(int(month), area, category)] += int(n)
        return [(month, area, category, n) for (month, area, category), n in counted.items()]

    async def cases_opened(self, cuts: Sequence[datetime]) -> list[tuple[int, str, int]]:
        """Per month and area: how many cases were opened."""
        rows = (
            select(bucket(cases.c.opened_at, cuts).label("month"), cases.c.area)
            .where(within(cases.c.opened_at, cuts), cases.c.merged_into.is_(None), self._in_scope())
            .subquery()
        )
        query = select(rows.c.month, rows.c.area, func.count()).group_by(rows.c.month, rows.c.area)
        return [tuple(r) for r in (await self.db.execute(query)).all()]  # type: ignore[misc]

    async def durations(self, measure: str, cuts: Sequence[datetime]) -> dict[int, Durations]:
        """For the cases opened in each range that reached ``measure``: how many, the
        median and the 90th percentile of the hours it took. PostgreSQL: percentile_cont
        (one sort per range); SQLite: the ranks around each quantile (``duration_ranks``),
        interpolated the same way."""
        if self.db.dialect.name != "postgresql":
            return durations_by_group(await self.duration_ranks(measure, cuts))
        rows = self._durations_of(measure, cuts)
        median, p90 = (func.percentile_cont(q).within_group(rows.c.hours) for q in QUANTILES)
        query = select(rows.c.bucket, func.count(), median, p90).group_by(rows.c.bucket)
        found: Sequence[tuple[int, int, float | None, float | None]] = (await self.db.execute(query)).all()
        return {int(b): Durations.of(int(n), _float(m), _float(p)) for b, n, m, p in found}

    async def every_duration(self, cuts: Sequence[datetime]) -> dict[str, dict[int, Durations]]:
        """``durations`` of every measure. PostgreSQL: one pass over the period's cases
        (read from ``ix_cases_durations`` alone), the quantiles of each measure side by side
        (percentile_cont leaves out the cases that did not reach it); SQLite: measure by measure."""
        if self.db.dialect.name != "postgresql":
            return {measure: await self.durations(measure, cuts) for measure in MEASURES}
        received = func.coalesce(cases.c.received_at, cases.c.opened_at)
        hours = {measure: self._hours(received, cases.c[measure]) for measure in MEASURES}
        rows = (
            select(
                bucket(cases.c.opened_at, cuts).label("bucket"),
                *(case((h < 0, 0.0), else_=h).label(measure) for measure, h in hours.items()),
            )
            .where(within(cases.c.opened_at, cuts), cases.c.merged_into.is_(None), self._in_scope())
            .subquery()
        )
        columns = [
            aggregate
            for measure in MEASURES
            for aggregate in (
                func.count(rows.c[measure]),
                *(func.percentile_cont(q).within_group(rows.c[measure]) for q in QUANTILES),
            )
        ]
        found = (await self.db.execute(select(rows.c.bucket, *columns).group_by(rows.c.bucket))).all()
        every: dict[str, dict[int, Durations]] = {measure: {} for measure in MEASURES}
        width = 1 + len(QUANTILES)
        for row in found:
            for i, measure in enumerate(MEASURES):
                n, median, p90 = row[1 + width * i : 1 + width * (i + 1)]
                if n:
                    every[measure][int(row[0])] = Durations.of(int(n), _float(median), _float(p90))
        return every

    def _durations_of(self, measure: str, cuts: Sequence[datetime]) -> Any:
        """(bucket, hours) of each case opened in ``cuts`` that reached ``measure``."""
        if measure not in MEASURES:
            raise ValueError(f"not a measure: {measure}")
        # Cases from before the receipt was kept start at their opening.
        received = func.coalesce(cases.c.received_at, cases.c.opened_at)
        hours = self._hours(received, cases.c[measure])
        return (
            select(bucket(cases.c.opened_at, cuts).label("bucket"), case((hours < 0, 0.0), else_=hours).label("hours"))
            .where(
                within(cases.c.opened_at, cuts),
                cases.c[measure].is_not(None),
                cases.c.merged_into.is_(None),
                self._in_scope(),
            )
            .subquery()
        )

    async def duration_ranks(self, measure: str, cuts: Sequence[datetime]) -> list[tuple[int, int, int, float]]:
        """For the cases opened in each range that reached ``measure`` (first contact or
        first handoff): the hours it took at the ranks around each quantile, as
        (range, 0-based rank, cases in the range, hours) — ``durations_by_group`` reads them."""
        rows = self._durations_of(measure, cuts)
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
        """The earliest and latest moment a consultation was received or a case opened,
        city-wide (the indexes' two ends; a month without the caller's cases counts 0)."""
        received, opened = case_consultations.c.received_at, cases.c.opened_at
        query = union_all(select(func.min(received), func.max(received)), select(func.min(opened), func.max(opened)))
        ends = [at for row in (await self.db.execute(query)).all() for at in row if at is not None]
        return (min(ends), max(ends)) if ends else None

    async def cases_by_status(self) -> dict[str, int]:
        """Cases (not merged into another) per status, now: the open ones from their index,
        the closed ones from their kept counts (adapters/queue_tables.py)."""
        kept = closed_counts.c
        query = union_all(
            select(cases.c.status, func.count())
            .where(cases.c.status.in_(sorted(OPEN_STATUSES)), cases.c.merged_into.is_(None), self._in_scope())
            .group_by(cases.c.status),
            select(literal(CLOSED), func.coalesce(func.sum(kept.n), 0)).where(
                true() if self.areas is None else kept.area.in_(self.areas)
            ),
        )
        counts: Sequence[tuple[str, int]] = (await self.db.execute(query)).all()
        return {status: int(n) for status, n in counts if n}

    async def duration_summary(
        self, measure: str, cuts: Sequence[datetime]
    ) -> tuple[int, float | None, float | None, float | None]:
        """For every case opened within ``cuts`` (not merged) that reached ``measure``:
        how many, the median (one decimal), the mean and the longest time it took, in
        hours. PostgreSQL: one pass, percentile_cont for the median."""
        rows = self._durations_of(measure, cuts)
        totals: list[Any] = [func.count(), func.avg(rows.c.hours), func.max(rows.c.hours)]
        if self.db.dialect.name == "postgresql":
            totals.append(func.percentile_cont(0.5).within_group(rows.c.hours))
        found: Sequence[Any] = (await self.db.execute(select(*totals))).one()
        n, mean, longest = int(found[0]), _float(found[1]), _float(found[2])
        if len(found) > 3:
            median = Durations.of(n, _float(found[3]), None).median_hours
        else:
            ranked = durations_by_group(await self.duration_ranks(measure, cuts)).get(0) if n else None
            median = ranked.median_hours if ranked else None
        return n, median, mean, longest

    def _hours(self, start: Any, end: Any) -> ColumnElement[float | Decimal]:
        if self.db.dialect.name == "postgresql":
            # date_part: a double (EXTRACT gives numeric, whose sorts for the quantiles are slower).
            return func.date_part("epoch", end - start) / 3600.0
        return (func.julianday(end) - func.julianday(start)) * 24.0


def _float(value: float | Decimal | None) -> float | None:
    return None if value is None else float(value)
