"""The embedded SQLite engine (shared/db/engine.py) when another process holds the
database's write lock: it waits without blocking the event loop, goes on soon after the
lock is free, and gives up with "database is locked" after its timeout."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from shared.db.engine import make_engine

HOLD_LOCK = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
db.execute("INSERT INTO notes VALUES ('held')")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
db.execute("COMMIT")
"""


async def locked_by_another_process(path: str, seconds: float) -> subprocess.Popen:
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, path, str(seconds)], stdout=subprocess.PIPE)
    assert holder.stdout is not None
    assert (await asyncio.to_thread(holder.stdout.readline)).strip() == b"locked"
    return holder


@pytest.fixture
async def engine(make_settings, request):
    timeout = getattr(request, "param", 30.0)
    engine = make_engine(make_settings(sqlite_busy_timeout_s=timeout), "notes")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE notes (body TEXT)"))
    yield engine
    await engine.dispose()


async def test_waits_for_another_process_without_blocking_the_loop(engine) -> None:
    holder = await locked_by_another_process(engine.url.database, 0.6)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    started = time.monotonic()
    async with engine.begin() as conn:  # BEGIN IMMEDIATE waits for the other process
        await conn.execute(text("INSERT INTO notes VALUES ('ours')"))
    waited = time.monotonic() - started
    ticker.cancel()
    holder.wait(timeout=5)

    assert 0.3 < waited < 5
    assert ticks >= 15, "the event loop was blocked while waiting for the lock"
    async with engine.connect() as conn:
        assert sorted((await conn.execute(text("SELECT body FROM notes"))).scalars()) == ["held", "ours"]


@pytest.mark.parametrize("engine", [0.3], indirect=True)
async def test_gives_up_after_its_timeout(engine) -> None:
    holder = await locked_by_another_process(engine.url.database, 3)
    try:
        started = time.monotonic()
        with pytest.raises(OperationalError, match="database is locked"):
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO notes VALUES ('ours')"))
        assert 0.25 < time.monotonic() - started < 2
    finally:
        holder.wait(timeout=10)
