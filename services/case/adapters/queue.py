"""The queue in SQL: filters, the counts of every view in one statement, and one page in
the queue's order (most urgent first, then the longest waiting) — so a read costs what
the page shows, not the whole area's cases."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    exists,
    func,
    literal,
    literal_column,
    select,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from services.case.adapters.orm import PRIORITY_RANK_SQL, cases, referrals
from services.case.adapters.queue_tables import UNASSIGNED, case_categories, closed_counts
from services.case.domain.queue import PRIORITIES, priority_rank
from services.case.domain.status import CLOSED
from shared.clock import as_utc
from shared.errors import InvalidInput
from shared.http.paging import UNREADABLE_CURSOR

# Priority as the queue sorts it (unknown values last).
PRIORITY_RANK = literal_column(PRIORITY_RANK_SQL.text, Integer)
NEEDS_ATTENTION = exists().where(referrals.c.case_id == cases.c.id, referrals.c.needs_attention.is_(True))
# The same cases as a set: the counts read them from the few referrals waiting for
# attention, never probing per case.
ATTENTION_CASES = (
    select(referrals.c.case_id.label("case_id"))
    .where(referrals.c.needs_attention.is_(True))
    .distinct()
    .subquery("attention_cases")
)


@dataclass(frozen=True)
class QueueFilter:
    """Which cases a queue holds (before the view: unassigned, mine or all)."""

    areas: frozenset[str] | None  # None: every area
    statuses: tuple[str, ...]
    priorities: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    school_districts: tuple[str, ...] = ()
    min_age_days: int | None = None
    max_age_days: int | None = None
    needs_attention: bool | None = None


def _any_category(categories: Iterable[str]) -> ColumnElement[bool]:
    return exists().where(case_categories.c.case_id == cases.c.id, case_categories.c.category.in_(list(categories)))


def _kept(wanted: QueueFilter) -> bool:
    """Whether ``closed_counts`` can count the filter's closed cases: it keeps them by
    area, priority and coordinator only."""
    return CLOSED in wanted.statuses and not (
        wanted.categories
        or wanted.school_districts
        or wanted.min_age_days is not None
        or wanted.max_age_days is not None
        or wanted.needs_attention is not None
    )


def _conditions(wanted: QueueFilter, now: datetime) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [cases.c.merged_into.is_(None), cases.c.status.in_(wanted.statuses)]
    if wanted.areas is not None:
        where.append(cases.c.area.in_(sorted(wanted.areas)))
    if wanted.school_districts:
        where.append(cases.c.school_district.in_(wanted.school_districts))
    if wanted.priorities:
        where.append(cases.c.priority.in_(wanted.priorities))
    if wanted.categories:
        where.append(_any_category(wanted.categories))
    # A case's age is the whole days since it opened (domain.queue.age_days).
    if wanted.min_age_days is not None:
        where.append(cases.c.opened_at <= now - timedelta(days=wanted.min_age_days))
    if wanted.max_age_days is not None:
        where.append(cases.c.opened_at > now - timedelta(days=wanted.max_age_days + 1))
    if wanted.needs_attention is not None:
        where.append(NEEDS_ATTENTION if wanted.needs_attention else ~NEEDS_ATTENTION)
    return where


def _in_view(view: str, me: str) -> ColumnElement[bool] | None:
    if view == "unassigned":
        return cases.c.coordinator_id.is_(None)
    if view == "mine":
        return cases.c.coordinator_id == me
    return None


def sort_key(row: dict[str, Any]) -> list[Any]:
    """A row's place in the queue's order, as a cursor carries it."""
    return [priority_rank(row["priority"]), as_utc(row["opened_at"]).isoformat(), row["id"]]


def _after(key: tuple[Any, ...]) -> ColumnElement[bool]:
    """The rows that come after ``key`` in the queue's order (a cursor from ``sort_key``)."""
    try:
        rank, opened_text, case_id = key
        opened = datetime.fromisoformat(opened_text)
        if not isinstance(rank, int) or not isinstance(case_id, str) or opened.tzinfo is None:
            raise TypeError
    except (TypeError, ValueError) as exc:
        raise InvalidInput(UNREADABLE_CURSOR, field="cursor") from exc
    # A row comparison: the index on the queue's order starts right after the key.
    return tuple_(PRIORITY_RANK, cases.c.opened_at, cases.c.id) > tuple_(
        literal(rank, Integer), literal(opened, cases.c.opened_at.type), literal(case_id, cases.c.id.type)
    )


COUNTS = ("unassigned", "mine", "all", "urgent", "needs_attention")


def _live_counts(wanted: QueueFilter, me: str, now: datetime) -> Select:
    return select(
        func.count().filter(cases.c.coordinator_id.is_(None)).label("unassigned"),
        func.count().filter(cases.c.coordinator_id == me).label("mine"),
        func.count().label("all"),
        func.count().filter(cases.c.priority == PRIORITIES[0]).label("urgent"),
        literal(0).label("needs_attention"),
    ).where(and_(*_conditions(wanted, now)))


def _kept_counts(wanted: QueueFilter, me: str) -> Select:
    """The closed cases of the filter's areas and priorities, from their kept counts."""
    kept = closed_counts.c
    where: list[ColumnElement[bool]] = []
    if wanted.areas is not None:
        where.append(kept.area.in_(sorted(wanted.areas)))
    if wanted.priorities:
        where.append(kept.priority.in_(wanted.priorities))
    return select(
        func.coalesce(func.sum(kept.n).filter(kept.coordinator_id == UNASSIGNED), 0).label("unassigned"),
        func.coalesce(func.sum(kept.n).filter(kept.coordinator_id == me, kept.coordinator_id != UNASSIGNED), 0).label(
            "mine"
        ),
        func.coalesce(func.sum(kept.n), 0).label("all"),
        func.coalesce(func.sum(kept.n).filter(kept.priority == PRIORITIES[0]), 0).label("urgent"),
        literal(0).label("needs_attention"),
    ).where(and_(true(), *where))


def _attention_count(wanted: QueueFilter, now: datetime) -> Select:
    """The filter's cases needing attention, read from the few that do."""
    return (
        select(
            *(literal(0).label(n) for n in COUNTS[:-1]),
            func.count().label("needs_attention"),
        )
        .select_from(ATTENTION_CASES.join(cases, cases.c.id == ATTENTION_CASES.c.case_id))
        .where(and_(*_conditions(wanted, now)))
    )


class QueueRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self.db = db

    async def counts(self, wanted: QueueFilter, me: str, now: datetime) -> dict[str, int]:
        """How many cases each view holds, how many are 緊急 and how many need attention:
        in one statement, the closed cases from their kept counts when the filter allows,
        those needing attention from the few that do."""
        parts = [_attention_count(wanted, now)]
        if not _kept(wanted):
            parts.append(_live_counts(wanted, me, now))
        else:
            parts.append(_kept_counts(wanted, me))
            still_open = tuple(s for s in wanted.statuses if s != CLOSED)
            if still_open:
                parts.append(_live_counts(replace(wanted, statuses=still_open), me, now))
        every = union_all(*parts).subquery("parts")
        row = (await self.db.execute(select(*(func.sum(every.c[n]).label(n) for n in COUNTS)))).one()
        return {name: int(value or 0) for name, value in row._mapping.items()}

    async def page(
        self,
        wanted: QueueFilter,
        view: str,
        me: str,
        now: datetime,
        columns: Iterable[str],
        offset: int,
        limit: int,
        after: tuple[Any, ...] | None = None,
    ) -> list[dict[str, Any]]:
        """One page in the queue's order: ``limit`` rows from ``offset``, or after the
        sort key ``after``."""
        where = _conditions(wanted, now)
        chosen = _in_view(view, me)
        if chosen is not None:
            where.append(chosen)
        if after is not None:
            where.append(_after(after))
        # The page's ids first (from ix_cases_queue alone when the filters allow), then
        # the shown columns of those rows only: the table's rows are wide.
        ids = (
            select(cases.c.id)
            .where(and_(*where))
            .order_by(PRIORITY_RANK, cases.c.opened_at, cases.c.id)
            .offset(offset)
            .limit(limit)
        )
        query = (
            select(*(cases.c[c] for c in columns))
            .where(cases.c.id.in_(ids.scalar_subquery()))
            .order_by(PRIORITY_RANK, cases.c.opened_at, cases.c.id)
        )
        return [dict(r) for r in (await self.db.execute(query)).mappings().all()]

    async def attention_of(self, case_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        """The declined referrals not yet dealt with, of these cases only."""
        found: dict[str, list[dict[str, Any]]] = {}
        if not case_ids:
            return found
        rows = await self.db.execute(
            select(referrals)
            .where(referrals.c.case_id.in_(case_ids), referrals.c.needs_attention.is_(True))
            .order_by(referrals.c.id)
        )
        for r in rows.mappings().all():
            found.setdefault(r["case_id"], []).append(dict(r))
        return found
