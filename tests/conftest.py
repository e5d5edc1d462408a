"""Shared fixtures. Integration tests run against the machine's real Redis and real
databases: every test gets a fresh SQLite folder or a fresh PostgreSQL database, and
a Redis database flushed before use. Set TSUNAGI_TEST_REDIS_URL /
TSUNAGI_TEST_POSTGRES_URL to point elsewhere."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import asyncpg
import pytest
import redis.asyncio as aioredis

from shared.db.migrate import migrate
from shared.settings import SERVICES, Settings
from tests.support.servers import private_redis

# Unset: the session starts a private redis-server (isolated from other runs on the
# machine and from the machine's shared Redis).
TEST_REDIS_URL = os.environ.get("TSUNAGI_TEST_REDIS_URL")
TEST_POSTGRES_URL = os.environ.get("TSUNAGI_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Folder decides the marker, so `-m unit` / `-m integration` / `-m e2e` / `-m fault` work.
    for item in items:
        for kind in ("unit", "integration", "e2e", "fault", "browser"):
            if f"{os.sep}tests{os.sep}{kind}{os.sep}" in str(item.fspath):
                item.add_marker(getattr(pytest.mark, kind))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under pytest-xdist, a test module is one unit of work, and the browser tests are one
    together (in order, on one worker: one system for their session). xdist's own
    ``xdist_group`` marks are lost under pytest 9.2, whose node ids no longer follow ``_nodeid``."""
    from xdist.scheduler import LoadScopeScheduling

    class ModulesAndBrowserTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return "tests/browser" if nodeid.startswith("tests/browser/") else nodeid.split("::", 1)[0]

    return ModulesAndBrowserTogether(config, log)


def worker_redis_url(url: str) -> str:
    """Under pytest-xdist, each worker flushes a Redis database of its own: worker ``n``
    takes the given database + 2n (the browser tests use the one after it)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    parsed = urlparse(url)
    db = int(parsed.path.strip("/") or 0) + 2 * int(worker.removeprefix("gw"))
    return parsed._replace(path=f"/{db % 16}").geturl()


@pytest.fixture(scope="session")
def session_redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if TEST_REDIS_URL:
        yield worker_redis_url(TEST_REDIS_URL)
        return
    with private_redis(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
async def redis_url(session_redis_url: str) -> AsyncIterator[str]:
    """A flushed Redis database for one test."""
    client = aioredis.Redis.from_url(session_redis_url)
    await client.flushdb()
    await client.aclose()
    yield session_redis_url


async def _admin(statement: str) -> None:
    admin = await asyncpg.connect(TEST_POSTGRES_URL)
    try:
        await admin.execute(statement)
    finally:
        await admin.close()


def _database_url(name: str) -> str:
    return f"{TEST_POSTGRES_URL.rsplit('/', 1)[0]}/{name}"


@pytest.fixture(scope="session")
def postgres_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL database migrated to head once for the session (each xdist worker its
    own): a test's database is a copy of it, made in a fraction of the migrations' time."""
    name = f"tsunagi_template_{uuid.uuid4().hex[:12]}"

    async def _create() -> None:
        await _admin(f'CREATE DATABASE "{name}"')
        settings = Settings(mode="test", data_dir=tmp_path_factory.mktemp("template"), database_url=_database_url(name))
        for service in SERVICES:
            await migrate(settings, service)

    # In a thread: this may be set up while an async test's event loop runs.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, _create()).result()
    yield name
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')).result()


@pytest.fixture
async def postgres_database_url(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """A private PostgreSQL database for one test, dropped afterwards: migrated to head
    (a copy of the session's template), or empty for a test marked ``empty_database``
    (one that runs the migrations itself from an older revision)."""
    name = f"tsunagi_test_{uuid.uuid4().hex[:12]}"
    if request.node.get_closest_marker("empty_database"):
        await _admin(f'CREATE DATABASE "{name}"')
    else:
        await _admin(f'CREATE DATABASE "{name}" TEMPLATE "{request.getfixturevalue("postgres_template")}"')
    yield _database_url(name)
    await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def make_settings(request: pytest.FixtureRequest, tmp_path: Path, redis_url: str) -> Callable[..., Settings]:
    """``make_settings(**overrides)``: test-mode settings on real Redis and, when the test
    uses ``database_backend``, on SQLite or a private PostgreSQL database."""
    database_url = None
    if "database_backend" in request.fixturenames and request.getfixturevalue("database_backend") == "postgresql":
        database_url = request.getfixturevalue("postgres_database_url")

    def _make(**overrides: object) -> Settings:
        values: dict[str, object] = {
            "mode": "test",
            "data_dir": tmp_path / "data",
            "redis_url": redis_url,
            "database_url": database_url,
            "reclaim_idle_ms": 1000,
            "reclaim_interval_s": 0.5,
            "relay_poll_interval_s": 0.2,
            "log_json": False,
            # Started hundreds of times in-process; test_case_figures_warm_up turns it on.
            "warm_up_figures": False,
        }
        values.update(overrides)
        return Settings(**values)  # type: ignore[arg-type]

    return _make
