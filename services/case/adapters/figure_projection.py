"""The figures of closed months, kept in the case database (figure_months, figure_counts,
figure_durations) so a period's figures read a few rows per month instead of its cases.

A closed month (before the current one, Japan time) is projected by counting it with the
very queries the live figures use (``FigureQueries``), so a projected month equals a
live count by construction. It is counted again, in the same transaction, whenever an
event changes one of its cases or consultations (a merge, a backdated contact, a late
consultation, a move to another area): ``CaseUnitOfWork.before_commit`` calls
``refresh_touched``. A month without a ``figure_months`` row is simply counted live;
``tsunagi figures rebuild`` projects every closed month again from the case data."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.case.adapters.figures import MEASURES, FigureQueries
from services.case.adapters.orm import case_consultations, cases, figure_counts, figure_durations, figure_months
from services.case.domain.period_figures import Durations
from shared.db.sql import insert_missing, insert_rows
from shared.periods import Month, Period, month_boundaries, months_between

# A month is projected on its own only this long after it closed: a transaction begun in
# the month and committed just after midnight has then long been counted.
GRACE = timedelta(minutes=5)
_CHUNK = 5000  # case ids per IN-list, far below PostgreSQL's 32,767 bind parameters


@dataclass
class Projected:
    """What the projection holds for some months (each row starts with the month)."""

    months: frozenset[Month] = frozenset()
    consultations: list[tuple[Month, str, str, str, int]] = field(default_factory=list)
    categories: list[tuple[Month, str, int]] = field(default_factory=list)
    cases: list[tuple[Month, str, int]] = field(default_factory=list)
    durations: dict[tuple[Month, str], Durations] = field(default_factory=dict)


async def refresh(db: AsyncConnection, months: Iterable[Month], now: datetime) -> None:
    """Count each month again from the case data and keep it (call for closed months only)."""
    for month in sorted(set(months)):
        key = month.text
        # The month's row, locked first: two transactions refreshing one month take turns,
        # and the second counts with the first's changes committed.
        await insert_missing(db, figure_months, [{"month": key, "refreshed_at": now}])
        await db.execute(
            figure_months.update()
            .where(figure_months.c.month == key)
            .values(refreshed_at=now, version=figure_months.c.version + 1)
        )
        await db.execute(delete(figure_counts).where(figure_counts.c.month == key))
        await db.execute(delete(figure_durations).where(figure_durations.c.month == key))
        queries, cuts = FigureQueries(db, None), month_boundaries((month,))
        rows: list[dict[str, Any]] = [
            _count(key, area, "consultations", district, channel, n)
            for _, area, district, channel, n in await queries.consultations(cuts)
        ]
        rows += [_count(key, area, "categories", c, "", n) for _, area, c, n in await queries.categories_by_area(cuts)]
        rows += [_count(key, area, "cases", "", "", n) for _, area, n in await queries.cases_opened(cuts)]
        await insert_rows(db, figure_counts, rows)
        durations = []
        for measure in MEASURES:
            found = (await queries.durations(measure, cuts)).get(0)
            if found is not None:
                durations.append({"month": key, "measure": measure, **found.as_dict()})
        await insert_rows(db, figure_durations, durations)


def _count(month: str, area: str, measure: str, key: str, detail: str, n: int) -> dict[str, Any]:
    return {"month": month, "area": area, "measure": measure, "key": key, "detail": detail, "n": int(n)}


# Built once: the statement runs in every transaction that changes a case.
_MONTHS_OF_CASES = union_all(
    select(cases.c.opened_at.label("at")).where(
        cases.c.id.in_(bindparam("ids", expanding=True)), cases.c.opened_at < bindparam("before")
    ),
    select(case_consultations.c.received_at.label("at")).where(
        case_consultations.c.case_id.in_(bindparam("ids", expanding=True)),
        case_consultations.c.received_at < bindparam("before"),
    ),
)


async def months_of_cases(db: AsyncConnection, case_ids: Sequence[str], before: datetime) -> set[Month]:
    """The months before ``before`` that any of these cases was opened or received a
    consultation in: the months whose figures a change to the cases can move."""
    found: set[Month] = set()
    ids = sorted(set(case_ids))
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        moments: Sequence[datetime] = (
            (await db.execute(_MONTHS_OF_CASES, {"ids": chunk, "before": before})).scalars().all()
        )
        found |= {Month.of(at) for at in moments}
    return found


class FigureProjection:
    """One per process: remembers which closed month it already saw projected, so a
    transaction checks for a newly closed month once a month, not every time; and the
    durations of closed quarters and years, ranked once while their months stay as kept."""

    KEEP_PERIODS = 32

    def __init__(self) -> None:
        self.last_closed_seen: Month | None = None
        self._periods: dict[tuple[Any, ...], dict[str, Durations]] = {}

    async def closed_durations(self, queries: FigureQueries, period: Period) -> dict[str, Durations]:
        """Each measure's durations of a closed ``period`` (its cases in ``queries``'
        areas), ranked again only when one of its months was counted again (every change
        to a case of the month counts it again, in the change's transaction) or is not kept."""
        months = [m.text for m in period.months]
        stamp = tuple(
            (
                await queries.db.execute(
                    select(func.count(), func.coalesce(func.sum(figure_months.c.version), 0)).where(
                        figure_months.c.month.in_(months)
                    )
                )
            ).one()
        )
        key = (period.kind, period.first.text, None if queries.areas is None else tuple(queries.areas), stamp)
        if key in self._periods:
            return self._periods[key]
        ranked = await queries.every_duration([period.first.starts_at, period.bounds[1]])
        found = {measure: by[0] for measure, by in ranked.items() if 0 in by}
        if stamp[0] == len(months):  # every month kept: a change to any of them moves the stamp
            if len(self._periods) >= self.KEEP_PERIODS:
                self._periods.pop(next(iter(self._periods)))
            self._periods[key] = found
        return found

    async def refresh_touched(self, db: AsyncConnection, case_ids: Iterable[str], now: datetime) -> None:
        """In the transaction that changed these cases: count again the closed months
        they belong to, and project the month that just closed if nobody has yet. A
        transaction that changed no case (a read writing the read log, under its
        snapshot) is left alone."""
        ids = list(case_ids)
        if not ids:
            return
        stale = await months_of_cases(db, ids, Month.of(now).starts_at)
        closed = Month.of(now - GRACE).shifted(-1)
        if closed != self.last_closed_seen:
            if closed in await projected_months(db, [closed]):
                self.last_closed_seen = closed  # only once seen committed: this transaction may yet fail
            else:
                stale.add(closed)
        if stale:
            await refresh(db, stale, now)


async def projected_months(db: AsyncConnection, months: Sequence[Month]) -> frozenset[Month]:
    if not months:
        return frozenset()
    wanted = {m.text: m for m in months}
    query = select(figure_months.c.month).where(figure_months.c.month.in_(list(wanted)))
    texts: Sequence[str] = (await db.execute(query)).scalars().all()
    return frozenset(wanted[text] for text in texts)


async def read_projected(db: AsyncConnection, months: Sequence[Month], areas: Iterable[str] | None) -> Projected:
    """The projection of those of ``months`` that are projected, for ``areas`` (None: the
    city; durations are kept for the city only)."""
    have = await projected_months(db, months)
    if not have:
        return Projected()
    by_text = {m.text: m for m in have}
    texts = list(by_text)
    counts = select(
        figure_counts.c.month,
        figure_counts.c.area,
        figure_counts.c.measure,
        figure_counts.c.key,
        figure_counts.c.detail,
        figure_counts.c.n,
    ).where(figure_counts.c.month.in_(texts))
    if areas is not None:
        counts = counts.where(figure_counts.c.area.in_(sorted(areas)))
    found = Projected(months=have)
    categories: dict[tuple[Month, str], int] = {}
    rows: Sequence[tuple[str, str, str, str, str, int]] = (await db.execute(counts)).all()
    for month, area, measure, key, detail, n in rows:
        m = by_text[month]
        if measure == "consultations":
            found.consultations.append((m, area, key, detail, int(n)))
        elif measure == "categories":
            categories[(m, key)] = categories.get((m, key), 0) + int(n)
        else:
            found.cases.append((m, area, int(n)))
    found.categories = [(m, key, n) for (m, key), n in categories.items()]
    if areas is None:
        query = select(figure_durations).where(figure_durations.c.month.in_(texts))
        for row in (await db.execute(query)).mappings():
            found.durations[(by_text[row["month"]], row["measure"])] = Durations(
                count=int(row["count"]), median_hours=row["median_hours"], p90_hours=row["p90_hours"]
            )
    return found


async def closed_months_with_data(db: AsyncConnection, now: datetime) -> tuple[Month, ...]:
    """Every closed month from the first consultation or case on (what ``rebuild`` projects)."""
    first = (
        await db.execute(
            select(func.min(cases.c.opened_at)).union_all(select(func.min(case_consultations.c.received_at)))
        )
    ).scalars()
    starts = [at for at in first if at is not None]
    if not starts:
        return ()
    return months_between(Month.of(min(starts)), Month.of(now).shifted(-1))


async def forget_other_months(db: AsyncConnection, keep: Sequence[Month]) -> None:
    """Drop whatever is kept for a month not in ``keep`` (the current month, a month
    before the first case)."""
    texts = [m.text for m in keep]
    for table in (figure_counts, figure_durations, figure_months):
        await db.execute(delete(table).where(table.c.month.not_in(texts)))


async def rebuild(engine: AsyncEngine, now: datetime) -> tuple[Month, ...]:
    """Project every closed month again from the case data, one transaction a month
    (meanwhile a month not yet redone reads as before, or live)."""
    async with engine.begin() as db:
        months = await closed_months_with_data(db, now)
        await forget_other_months(db, months)
    for month in months:
        async with engine.begin() as db:
            await refresh(db, [month], now)
    return months
