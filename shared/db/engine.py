"""Engines per service: a SQLite file per service (embedded default) or one
PostgreSQL schema per service (production, CI)."""

from __future__ import annotations

import pydantic_core
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from shared.db.sqlite_driver import dbapi as sqlite_dbapi
from shared.settings import Settings


def database_url_for(settings: Settings, service: str) -> str:
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{settings.data_dir / f'{service}.db'}"
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        # A SQLite URL names a folder-like prefix: one file per service beside it.
        base = url.database or "tsunagi.db"
        stem = base[:-3] if base.endswith(".db") else base
        return str(url.set(drivername="sqlite+aiosqlite", database=f"{stem}-{service}.db"))
    if url.get_backend_name() == "postgresql":
        # TLS as libpq spells it (sslmode=require / verify-ca / verify-full): asyncpg calls it ssl.
        if "sslmode" in url.query:
            url = url.difference_update_query(["sslmode"]).update_query_dict({"ssl": url.query["sslmode"]})
        # render_as_string: str() of a URL masks its password as ***.
        return url.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    raise ValueError(f"unsupported database: {url.get_backend_name()}")


def audit_schema(service: str) -> str:
    """Where a service keeps its append-only audit trail: its own schema on PostgreSQL
    (own grants and triggers); on SQLite, tables of the service's file (the name maps to none)."""
    return f"{service}_audit"


def is_postgres(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "postgresql"


def _json_dumps(value: object) -> str:
    return pydantic_core.to_json(value).decode()


# JSON columns (outbox envelopes, people, households) are encoded by pydantic-core (Rust)
# instead of the stdlib encoder, a visible share of intake's CPU per consultation.
JSON_CODEC = {"json_serializer": _json_dumps, "json_deserializer": pydantic_core.from_json}


def make_read_engine(settings: Settings, service: str) -> AsyncEngine | None:
    """SQLite: connections of their own for the reads that write nothing (a queue, the
    figures), so they neither wait for the one writer connection nor hold it — in WAL
    mode a reader never waits for the writer, nor the writer for it. They cannot write
    (``query_only``). None on PostgreSQL: its pool serves reads and writes alike."""
    url = database_url_for(settings, service)
    if not url.startswith("sqlite"):
        return None
    return _sqlite_engine(url, settings, service, pool_size=2, read_only=True)


def _sqlite_engine(url: str, settings: Settings, service: str, *, pool_size: int, read_only: bool) -> AsyncEngine:
    # hide_parameters: SQL errors (logged, stored with dead letters) never carry the
    # values — they can be personal data.
    engine = create_async_engine(
        url,
        module=sqlite_dbapi(),
        connect_args={"timeout": settings.sqlite_busy_timeout_s},
        hide_parameters=True,
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=60,
        execution_options={"schema_translate_map": {audit_schema(service): None}},
        **JSON_CODEC,
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _sqlite_pragmas(dbapi_conn, _record) -> None:
        # We issue BEGIN ourselves (below), so the driver must not.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        if read_only:
            cur.execute("PRAGMA query_only=ON")
        cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _sqlite_begin(conn) -> None:
        # A writer takes the write lock at BEGIN: a writer of another process then waits
        # for it there (in SQLite's busy handler) instead of failing with "database is
        # locked" on upgrade, mid-transaction. A reader's snapshot starts at its first read.
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def make_engine(settings: Settings, service: str, *, pool_size: int = 20) -> AsyncEngine:
    url = database_url_for(settings, service)
    if url.startswith("sqlite"):
        # One connection per process: SQLite has one writer at a time anyway, and with
        # several connections a waiting writer sleeps in SQLite's busy handler (in steps
        # of up to 100 ms) — seconds of tail latency under load. With one, transactions
        # queue fairly in asyncio (the pool) and start the moment the previous one ends.
        # aiosqlite runs each connection's calls in its own thread, so SQLite's busy
        # handler may wait there for another process's write lock without blocking the loop.
        return _sqlite_engine(url, settings, service, pool_size=1, read_only=False)
    # One schema per service: the search path puts the service's tables first.
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        # No pre-ping (it costs a round trip per checkout): after a PostgreSQL restart the
        # first statement on a stale connection fails as a disconnect, SQLAlchemy then
        # invalidates the whole pool, and that one request answers 503 + Retry-After (a
        # consumer retries its batch) — tests/fault/test_outages.py::test_postgres_down….
        pool_pre_ping=False,
        hide_parameters=True,
        connect_args={"server_settings": {"search_path": service}},
        **JSON_CODEC,
    )
