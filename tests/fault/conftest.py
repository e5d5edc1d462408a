"""Fault tests (issue 5): real processes, real Redis and PostgreSQL, things killed and
restarted mid-load. Each ends with ``tsunagi check`` clean and ``tsunagi verify`` exit 0.
Tests that stop Redis or PostgreSQL start private servers and never touch the machine's
shared ones.

Each prints its figures (run with ``-s`` to see them): messages sent, cases opened,
duplicates, lost, recovery time."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.servers import PostgresServer, RedisServer


@pytest.fixture
def private_redis_server(tmp_path: Path):
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def private_postgres(tmp_path: Path):
    server = PostgresServer(tmp_path / "pg")
    server.init()
    server.start()
    yield server
    server.remove()
