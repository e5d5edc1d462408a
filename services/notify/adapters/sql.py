"""One SQL helper both SQLite and PostgreSQL support: insert unless the key exists.
Two replicas applying different events of one referral at once then meet on the
primary key instead of failing one consumer's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


async def insert_if_absent(session: AsyncSession, table: Table, values: dict[str, Any]) -> bool:
    """True if the row was inserted, False if a row with its key already existed."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    result = await session.execute(insert(table).on_conflict_do_nothing(), values)
    return result.rowcount == 1
