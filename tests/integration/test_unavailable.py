"""While the database is down intake says 503 with Retry-After — it never claims to
have accepted what it did not store — and it recovers by itself."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import asyncpg

from services.intake.bootstrap import build_app
from shared import runtime as runtime_module
from shared.db.migrate import migrate
from shared.settings import PROJECT_ROOT
from tests.support.metrics import Scrape
from tests.support.servers import PostgresServer
from tests.support.services import bearer, eventually, running_service

EXAMPLE = json.loads((PROJECT_ROOT / "examples" / "consultation.json").read_text(encoding="utf-8"))


async def test_intake_answers_503_while_postgres_is_down(make_settings, tmp_path: Path) -> None:
    server = PostgresServer(tmp_path / "pg")
    server.init()
    server.start()
    try:
        settings = make_settings(database_url=server.url)
        async with running_service("intake", settings) as intake:
            reporter = bearer(settings, "reporter", "vol-1")
            assert (await intake.post("/v1/consultations", json=EXAMPLE, headers=reporter)).status_code == 201

            server.stop()
            down = await intake.post("/v1/consultations", json=EXAMPLE, headers=reporter)
            assert down.status_code == 503, down.text
            assert down.headers["retry-after"].isdigit()
            assert down.json()["type"].endswith("/unavailable")

            server.start()

            async def accepted() -> bool:
                return (await intake.post("/v1/consultations", json=EXAMPLE, headers=reporter)).status_code == 201

            await eventually(accepted, timeout=20, interval=0.5, what="intake to recover")
        conn = await asyncpg.connect(server.url)
        try:
            stored = await conn.fetchval("SELECT count(*) FROM intake.consultations")
        finally:
            await conn.close()
        assert stored == 2  # the first and the recovered one; the refused one was never stored
    finally:
        server.remove()


async def test_readiness_and_metrics_answer_when_redis_hangs(make_settings, monkeypatch) -> None:
    """The hot-path Redis client has no per-command timer (a dead peer is found by TCP
    keepalive, see ``make_redis``), so a Redis that accepts connections but never answers
    must not hang the readiness probe or a metrics scrape: they bound their own wait."""
    accepted: list[asyncio.StreamWriter] = []

    async def never_answer(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)  # keeps the connection open, reads nothing, answers nothing

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    monkeypatch.setattr(runtime_module, "REDIS_CHECK_TIMEOUT_S", 0.5)
    try:
        runtime = build_app(make_settings(redis_url=f"redis://127.0.0.1:{port}/0")).state.services.runtime
        await migrate(runtime.settings, "intake")
        checks = await asyncio.wait_for(runtime.readiness(), timeout=5)
        assert checks["database"] == "ok"
        assert checks["redis"] == "unavailable: TimeoutError"
        assert checks["ready"] is False
        scrape = Scrape(await asyncio.wait_for(runtime.metrics.scrape(), timeout=5))
        assert scrape.value("tsunagi_redis_up", service="intake") == 0
        assert scrape.value("tsunagi_database_up", service="intake") == 1
        assert scrape.samples("tsunagi_stream_lag") == []  # no half-read block
        assert accepted, "the client did reach the silent server"
        await runtime.engine.dispose()
        await runtime.redis.aclose()
    finally:
        for writer in accepted:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_a_database_error_that_is_not_an_outage_is_not_reported_as_one(
    postgres_database_url: str, tmp_path: Path
) -> None:
    """Too many bind parameters or a bad statement is a bug (a logged 500), not 503; a
    refused connection and a locked SQLite file are outages."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from shared.http.errors import is_unavailable

    async def error_of(url: str, statement: str, params: dict | None = None) -> BaseException:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as db:
                await db.execute(text(statement), params or {})
        except Exception as exc:  # the error is what is judged
            return exc
        finally:
            await engine.dispose()
        raise AssertionError(f"{statement[:40]} did not fail")

    pg = postgres_database_url.replace("postgresql://", "postgresql+asyncpg://", 1)
    many = {f"p{i}": i for i in range(40_000)}
    in_list = "SELECT 1 WHERE 0 IN (" + ", ".join(f":p{i}" for i in range(40_000)) + ")"
    assert not is_unavailable(await error_of(pg, in_list, many))
    assert not is_unavailable(await error_of(pg, "SELECT * FROM no_such_table"))
    assert not is_unavailable(await error_of(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", "SELEC 1"))
    assert is_unavailable(await error_of("postgresql+asyncpg://postgres@127.0.0.1:1/postgres", "SELECT 1"))

    locked = tmp_path / "locked.db"
    holder = create_async_engine(f"sqlite+aiosqlite:///{locked}")
    try:
        async with holder.connect() as db:
            await db.execute(text("CREATE TABLE t (x INTEGER)"))
            await db.commit()
            await db.execute(text("INSERT INTO t VALUES (1)"))  # holds the write lock, uncommitted
            url = f"sqlite+aiosqlite:///{locked}?timeout=0"
            assert is_unavailable(await error_of(url, "INSERT INTO t VALUES (2)"))
    finally:
        await holder.dispose()
