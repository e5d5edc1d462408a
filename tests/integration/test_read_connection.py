"""SQLite: the reads that write nothing (a queue, the figures) have connections of their
own (shared/db/engine.py make_read_engine) — they answer while the one writer
connection is held, and they cannot write. PostgreSQL's pool serves both."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from tests.support.services import bearer, running_service


async def test_a_queue_read_does_not_wait_for_the_writer(make_settings) -> None:
    settings = make_settings()
    supervisor = bearer(settings, "supervisor", "city", "sv-1")
    async with running_service("case", settings) as case:
        runtime = case.app.state.services.runtime  # type: ignore[attr-defined]
        assert runtime.read_engine is not runtime.engine
        async with runtime.engine.begin() as writer:  # the one writer connection, its write lock held
            await writer.execute(text("SELECT 1"))
            for path, params in (("/v1/cases", {}), ("/v1/figures", {"period": "month"})):
                answer = await asyncio.wait_for(case.get(path, headers=supervisor, params=params), timeout=5)
                assert answer.status_code == 200, answer.text
        async with runtime.read_engine.connect() as reader:
            with pytest.raises(OperationalError, match="readonly"):
                await reader.execute(text("DELETE FROM cases"))


async def test_postgresql_reads_and_writes_share_one_pool(make_settings, database_backend) -> None:
    settings = make_settings()
    async with running_service("case", settings) as case:
        runtime = case.app.state.services.runtime  # type: ignore[attr-defined]
        assert (runtime.read_engine is runtime.engine) == (database_backend == "postgresql")
