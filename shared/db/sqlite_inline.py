"""SQLite for the embedded default, run in the event loop's own thread.

aiosqlite (the driver SQLAlchemy's async SQLite dialect speaks to) sends every call —
cursor, execute, fetch, close, commit — to a worker thread and back: about seven thread
hand-offs per statement, each a queue put, a wake-up of the loop through its self-pipe
and a GIL hand-over. For SQLite on a local file in WAL mode that costs far more than
the statement itself (tens of microseconds, no fsync on commit with synchronous=NORMAL).

``InlineConnection`` is aiosqlite's own ``Connection`` (same API, same cursors, so
SQLAlchemy's dialect is unchanged) whose calls run at once instead of in the thread.

**Waiting for the lock never blocks the loop.** Another process may hold the database's
write lock (a second replica on the same file, an operator's ``tsunagi`` command). The
connection's busy timeout is 0, so SQLite answers "database is locked" at once instead
of sleeping in the loop's thread; a statement that gets that answer outside a
transaction (a ``BEGIN IMMEDIATE``, which takes the write lock, or a lone read) had no
effect, and is retried after an ``asyncio.sleep`` — growing from 1 to 10 ms — until
``busy_timeout_s`` has passed. Inside a transaction (which already holds the write lock:
every one begins IMMEDIATE) the error is raised as it was.

The price: a statement that is slow in itself (a large report query) holds up the
process's other work for its duration. The queries here are small and indexed; the
production shape (PostgreSQL, asyncpg) is not affected."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from functools import partial
from typing import Any

import aiosqlite

_FIRST_WAIT_S = 0.001
_LONGEST_WAIT_S = 0.01  # a try costs microseconds; a long sleep leaves the lock idle


class _RunNow:
    """Stands in for the queue to aiosqlite's worker thread: runs each call at once.
    (aiosqlite and SQLAlchemy's dialect put some calls on the queue directly.)"""

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as exc:
            if future is not None and not future.done():
                future.set_exception(exc)
        else:
            if future is not None and not future.done():
                future.set_result(result)


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    return getattr(exc, "sqlite_errorcode", None) in (
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
    ) or "database is locked" in str(exc)


class InlineConnection(aiosqlite.Connection):
    def __init__(self, connector: Callable[[], sqlite3.Connection], *, busy_timeout_s: float) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._tx = _RunNow()  # type: ignore[assignment]
        self.busy_timeout_s = busy_timeout_s

    def __await__(self) -> Any:
        return self._connect().__await__()  # no worker thread to start

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        deadline: float | None = None
        wait = _FIRST_WAIT_S
        while True:
            in_transaction = self._connection.in_transaction
            try:
                return fn(*args, **kwargs)
            except sqlite3.OperationalError as exc:
                if in_transaction or not _is_busy(exc):
                    raise
                now = asyncio.get_running_loop().time()
                deadline = deadline if deadline is not None else now + self.busy_timeout_s
                if now >= deadline:
                    raise
                await asyncio.sleep(wait)
                wait = min(wait * 2, _LONGEST_WAIT_S)


def inline_connector(path: str, *, busy_timeout_s: float = 30.0) -> Callable[[], Any]:
    """An ``async_creator`` for ``create_async_engine``: connections to the file at ``path``."""

    async def connect() -> InlineConnection:
        # timeout=0: SQLite's own busy handler would sleep in the loop's thread.
        connector = partial(sqlite3.connect, path, timeout=0, isolation_level=None, check_same_thread=False)
        return await InlineConnection(connector, busy_timeout_s=busy_timeout_s)

    return connect
