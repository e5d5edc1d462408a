"""What the queue reads beside ``cases`` (schema ``case``), written with the case in its
transaction by ``CaseRepository``: each case's categories as rows an index holds, and how
many closed cases each (area, priority, coordinator) has — the closed cases are most of
the case load and rarely change, so their counts are kept instead of counted per read."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from functools import cache
from typing import Any

from sqlalchemy import Column, Index, Integer, String, Table, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from services.case.adapters.schema import metadata
from services.case.domain.status import CLOSED

case_categories = Table(
    "case_categories",
    metadata,
    Column("case_id", String(26), primary_key=True),
    Column("category", String(40), primary_key=True),
    Index("ix_case_categories_category", "category", "case_id"),  # the queue's category filter
)

# Closed, unmerged cases per (area, priority, coordinator); "" stands for no coordinator
# (a key column cannot be NULL).
closed_counts = Table(
    "closed_counts",
    metadata,
    Column("area", String(40), primary_key=True),
    Column("priority", String(4), primary_key=True),
    Column("coordinator_id", String(64), primary_key=True),
    Column("n", Integer, nullable=False),
)
UNASSIGNED = ""
# The case columns a closed case is counted by.
COUNTED_BY = ("status", "merged_into", "area", "priority", "coordinator_id")


def category_rows(case_id: str, categories: Iterable[str]) -> list[dict[str, str]]:
    return [{"case_id": case_id, "category": c} for c in dict.fromkeys(categories)]


def _closed_key(case: dict[str, Any]) -> tuple[str, str, str] | None:
    if case["status"] != CLOSED or case.get("merged_into") is not None:
        return None
    return (case["area"], case["priority"], case.get("coordinator_id") or UNASSIGNED)


def closed_deltas(before: Iterable[dict[str, Any]], after: Iterable[dict[str, Any]]) -> Counter[tuple[str, str, str]]:
    """How the kept counts move when the ``before`` rows become the ``after`` rows."""
    moves: Counter[tuple[str, str, str]] = Counter()
    for rows, sign in ((before, -1), (after, 1)):
        for row in rows:
            key = _closed_key(row)
            if key is not None:
                moves[key] += sign
    return moves


@cache
def _add_to_count(dialect: str) -> Any:
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(closed_counts)
    return statement.on_conflict_do_update(
        index_elements=[closed_counts.c.area, closed_counts.c.priority, closed_counts.c.coordinator_id],
        set_={"n": closed_counts.c.n + statement.excluded.n},
    )


async def move_closed_counts(db: AsyncConnection, moves: Counter[tuple[str, str, str]]) -> None:
    """Adds the moves to the kept counts, in key order (two transactions lock the rows
    they share in the same order)."""
    rows = [{"area": a, "priority": p, "coordinator_id": c, "n": n} for (a, p, c), n in sorted(moves.items()) if n != 0]
    if rows:
        await db.execute(_add_to_count(db.dialect.name), rows)


async def replace_categories(db: AsyncConnection, case_id: str, categories: Iterable[str]) -> None:
    await db.execute(delete(case_categories).where(case_categories.c.case_id == case_id))
    rows = category_rows(case_id, categories)
    if rows:
        await db.execute(case_categories.insert(), rows)
