"""A database connection for the floor: the driver itself (aiosqlite with Tsunagi's
pragmas, or asyncpg with the service's search path), multi-row INSERTs written out as
SQL text, explicit transactions. No SQLAlchemy at run time: only the column names come
from Tsunagi's table definitions, so the rows are the same rows."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pydantic_core
from sqlalchemy import Table


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, dict | list):
        return pydantic_core.to_json(value).decode()
    if isinstance(value, datetime):  # SQLAlchemy's DateTime on SQLite: naive ISO text
        return value.replace(tzinfo=None).isoformat(sep=" ")
    return value


def _postgres_value(value: Any) -> Any:
    return pydantic_core.to_json(value).decode() if isinstance(value, dict | list) else value


class Db:
    def __init__(self, url: str, service: str) -> None:
        self.url, self.service = url, service
        self.postgres = url.startswith("postgresql")

    async def open(self) -> Db:
        if self.postgres:
            import asyncpg

            self.conn: Any = await asyncpg.connect(
                self.url, server_settings={"search_path": f"{self.service},{self.service}_audit"}
            )
        else:
            import aiosqlite

            self.conn = await aiosqlite.connect(self.url, timeout=30, isolation_level=None)
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
                await self.conn.execute(f"PRAGMA {pragma}")
        return self

    async def close(self) -> None:
        await self.conn.close()

    def _sql(self, sql: str) -> str:
        """``?`` placeholders, numbered for asyncpg."""
        if not self.postgres:
            return sql
        parts = sql.split("?")
        return "".join(f"{p}${i}" if i < len(parts) else p for i, p in enumerate(parts, 1))

    async def begin(self) -> None:
        await self.execute("BEGIN" if self.postgres else "BEGIN IMMEDIATE")

    async def commit(self) -> None:
        await self.execute("COMMIT")

    async def rollback(self) -> None:
        await self.execute("ROLLBACK")

    async def execute(self, sql: str, *args: Any) -> None:
        if self.postgres:
            await self.conn.execute(self._sql(sql), *args)
        else:
            await self.conn.execute(sql, args)

    async def many(self, sql: str, rows: list[tuple]) -> None:
        if rows:
            if self.postgres:
                await self.conn.executemany(self._sql(sql), rows)
            else:
                await self.conn.executemany(sql, rows)

    async def fetch(self, sql: str, *args: Any) -> list[tuple]:
        if self.postgres:
            return [tuple(r) for r in await self.conn.fetch(self._sql(sql), *args)]
        async with self.conn.execute(sql, args) as cursor:
            return list(await cursor.fetchall())

    def value(self, value: Any) -> Any:
        return _postgres_value(value) if self.postgres else _sqlite_value(value)

    async def insert(self, table: Table, rows: list[dict[str, Any]], tail: str = "") -> list[tuple]:
        """One INSERT of ``rows`` (every column of ``table`` the rows name); ``tail``: ON
        CONFLICT … / RETURNING …, whose rows it returns. SQLite: one multi-row VALUES;
        PostgreSQL: the rows as one JSON parameter, so the statement's text (and its
        prepared plan) is the same whatever the number of rows."""
        if not rows:
            return []
        columns = [c.name for c in table.c if c.name in rows[0]]
        names = ", ".join(columns)
        if self.postgres:
            records = pydantic_core.to_json([{c: row.get(c) for c in columns} for row in rows]).decode()
            source = f"SELECT {names} FROM jsonb_populate_recordset(NULL::{table.name}, ?::jsonb)"
            return await self.fetch(f"INSERT INTO {table.name} ({names}) {source} {tail}", records)
        one = "(" + ", ".join("?" * len(columns)) + ")"
        args = [self.value(row.get(c)) for row in rows for c in columns]
        return await self.fetch(
            f"INSERT INTO {table.name} ({names}) VALUES {', '.join([one] * len(rows))} {tail}", *args
        )

    def among(self, values: list[str]) -> tuple[str, list]:
        """``IN (…)`` of these values, and its arguments (PostgreSQL: one array parameter,
        the same statement text for any number of values)."""
        if self.postgres:
            return "= ANY(?::text[])", [list(values)]
        return "IN (" + ", ".join("?" * len(values)) + ")", list(values)


class Lanes:
    """A connection for each of a service's concurrent tasks (HTTP writes, each consumer,
    the relay), as Tsunagi's pool gives them: on SQLite one connection shared in turn (its
    pool holds one), on PostgreSQL one each."""

    def __init__(self, url: str, service: str) -> None:
        self.url, self.service = url, service
        self.open: dict[str, tuple[Db, asyncio.Lock]] = {}

    async def get(self, name: str) -> tuple[Db, asyncio.Lock]:
        if not self.url.startswith("postgresql"):
            name = "the one"
        if name not in self.open:
            self.open[name] = (await Db(self.url, self.service).open(), asyncio.Lock())
        return self.open[name]
