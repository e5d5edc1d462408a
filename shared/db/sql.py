"""Hot-path inserts, each statement built once per table (and dialect): plain
executemany inserts, and inserts both SQLite and PostgreSQL support that skip (or
update) rows whose key already exists. Two replicas writing the same key at once then
meet on the primary key instead of failing one of their transactions (on PostgreSQL the
second waits for the first's commit, then skips). And the count of a paged list's query."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Column, Select, Table, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


@cache
def _insert(dialect: str, table: Table, returning: Column | None = None) -> Any:
    """Built once per dialect and table: a fresh construct would be re-keyed by
    SQLAlchemy on every execution, costing more than the insert itself."""
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table).on_conflict_do_nothing()
    return statement.returning(returning) if returning is not None else statement


@cache
def _upsert(dialect: str, table: Table, key: Column, columns: tuple[str, ...]) -> Any:
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    return statement.on_conflict_do_update(index_elements=[key], set_={c: statement.excluded[c] for c in columns})


@cache
def _plain_insert(table: Table) -> Any:
    return insert(table)


async def insert_rows(db: AsyncConnection, table: Table, rows: list[dict[str, Any]]) -> None:
    """A plain INSERT of the rows, in one executemany (a statement built once per table)."""
    if rows:
        await db.execute(_plain_insert(table), rows)


async def insert_if_absent(db: AsyncConnection, table: Table, values: dict[str, Any]) -> bool:
    """True if the row was inserted, False if a row with its key already existed."""
    result = await db.execute(_insert(db.dialect.name, table), values)
    return result.rowcount == 1


async def insert_new(db: AsyncConnection, table: Table, rows: list[dict[str, Any]], key: Column) -> set[Any]:
    """Inserts the rows whose key is not there yet, in one statement; returns their keys."""
    if not rows:
        return set()
    result = await db.execute(_insert(db.dialect.name, table, key), rows)
    return set(result.scalars())


async def insert_missing(db: AsyncConnection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Inserts the rows whose key is not there yet, in one executemany."""
    if rows:
        await db.execute(_insert(db.dialect.name, table), rows)


async def upsert(
    db: AsyncConnection, table: Table, rows: list[dict[str, Any]], key: Column, columns: tuple[str, ...]
) -> None:
    """Inserts each row, or sets ``columns`` from it on the row with its ``key``."""
    if rows:
        await db.execute(_upsert(db.dialect.name, table, key, columns), rows)


async def count_of(db: AsyncConnection, query: Select[Any]) -> int:
    """How many rows ``query`` matches in all (a paged list's ``total``)."""
    return int((await db.execute(select(func.count()).select_from(query.order_by(None).subquery()))).scalar_one())
