"""SQLite's statements go to the driver's thread once each (shared/db/sqlite_driver.py),
and answer as the stock adapter does: rows, counts, inserted ids, errors, and a
transaction that rolls back."""

from __future__ import annotations

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from shared.db.engine import make_engine


@pytest.fixture
async def engine(make_settings):
    engine = make_engine(make_settings(), "notes")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT UNIQUE)"))
    yield engine
    await engine.dispose()


@pytest.fixture
def trips(monkeypatch) -> list[str]:
    """The calls queued to the connection's thread, by name."""
    made: list[str] = []
    queue = aiosqlite.Connection._execute

    async def counted(self, fn, *args, **kwargs):
        made.append(getattr(fn, "__name__", repr(fn)))
        return await queue(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return made


async def test_each_statement_is_one_trip_to_the_driver_thread(engine, trips) -> None:
    async with engine.begin() as conn:
        trips.clear()  # BEGIN IMMEDIATE is a statement too; count from here
        for n in range(10):
            await conn.execute(text("INSERT INTO notes (body) VALUES (:b)"), {"b": f"note {n}"})
        rows = (await conn.execute(text("SELECT body FROM notes ORDER BY id"))).all()
        assert len(trips) == 11  # the stock adapter made 34: open, execute, (fetch,) close
    assert [r.body for r in rows] == [f"note {n}" for n in range(10)]


async def test_rows_counts_and_ids_answer_as_before(engine) -> None:
    async with engine.begin() as conn:
        first = await conn.execute(text("INSERT INTO notes (body) VALUES ('a')"))
        assert first.lastrowid == 1 and first.rowcount == 1
        many = await conn.execute(text("INSERT INTO notes (body) VALUES (:b)"), [{"b": "b"}, {"b": "c"}, {"b": "d"}])
        assert many.rowcount == 3
        returned = await conn.execute(text("INSERT INTO notes (body) VALUES ('e') RETURNING id"))
        assert returned.scalar_one() == 5
        changed = await conn.execute(text("UPDATE notes SET body = body || '!' WHERE id > 2"))
        assert changed.rowcount == 3
        result = await conn.execute(text("SELECT id, body FROM notes ORDER BY id"))
        assert list(result.keys()) == ["id", "body"]
        assert result.fetchone() == (1, "a")
        assert result.fetchmany() == [(2, "b")]  # the DB-API's default size: one
        assert result.fetchmany(2) == [(3, "c!"), (4, "d!")]
        assert result.fetchall() == [(5, "e!")]
        assert (await conn.execute(text("SELECT body FROM notes WHERE id = 99"))).first() is None


async def test_errors_are_the_drivers_and_roll_back(engine) -> None:
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO notes (body) VALUES ('same')"))
            await conn.execute(text("INSERT INTO notes (body) VALUES ('same')"))
    with pytest.raises(OperationalError, match="no such table"):
        async with engine.connect() as conn:
            await conn.execute(text("SELECT * FROM missing"))
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM notes"))).scalar_one() == 0
