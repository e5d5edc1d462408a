"""Fault tests (issue 5): real processes, real Redis and PostgreSQL, things killed and
restarted mid-load. Each ends with ``tsunagi check`` clean. Tests that stop Redis or
PostgreSQL start private servers and never touch the machine's shared ones.

Each prints its figures (run with ``-s`` to see them): messages sent, cases opened,
duplicates, lost, recovery time."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from services.intake.adapters.orm import consultations
from shared.db.engine import make_engine
from shared.settings import Settings
from tests.support.load import submit_many, tsunagi_check
from tests.support.servers import PostgresServer, RedisServer
from tests.support.system import System, running_system


async def intake_counts(settings: Settings) -> tuple[int, int, int]:
    """(consultations stored, linked to a case, distinct cases) — from intake's own
    database, which learns its case from the case service's events."""
    engine = make_engine(settings, "intake")
    try:
        async with engine.connect() as conn:
            stored = (await conn.execute(select(func.count()).select_from(consultations))).scalar_one()
            linked = (await conn.execute(select(func.count()).select_from(consultations)
                                         .where(consultations.c.case_id.is_not(None)))).scalar_one()
            cases = (await conn.execute(select(func.count(func.distinct(consultations.c.case_id)))
                                        .select_from(consultations))).scalar_one()
            return int(stored), int(linked), int(cases)
    finally:
        await engine.dispose()


async def wait_all_linked(settings: Settings, expected: int, timeout: float = 120.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        stored, linked, _ = await intake_counts(settings)
        if stored == expected and linked == expected:
            return time.monotonic() - started
        await asyncio.sleep(0.5)
    stored, linked, _ = await intake_counts(settings)
    raise AssertionError(f"after {timeout}s: {stored} stored, {linked} linked to a case, expected {expected}")


def assert_clean(system: System, figures: dict[str, Any]) -> None:
    report = tsunagi_check(system.settings)
    figures["check_exit_code"] = report["exit_code"]
    figures["lost"] = report.get("lost", report.get("summary", {}).get("lost"))
    figures["duplicates"] = report.get("duplicates", report.get("summary", {}).get("duplicates"))
    print("\nFIGURES " + json.dumps(figures, ensure_ascii=False))
    assert report["exit_code"] == 0, json.dumps(report, ensure_ascii=False)[:3000]


@pytest.fixture
def private_redis_server(tmp_path: Path):  # noqa: ANN201
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def private_postgres(tmp_path: Path):  # noqa: ANN201
    server = PostgresServer(tmp_path / "pg")
    server.init()
    server.start()
    yield server
    server.remove()


N = 500


async def test_kill_case_service_mid_load(tmp_path: Path, private_redis_server: RedisServer,
                                          postgres_database_url: str) -> None:
    with running_system(tmp_path, redis_url=private_redis_server.url, database_url=postgres_database_url) as system:
        killed_at: list[float] = []

        async def kill_case_once(accepted: int) -> None:
            if accepted == N // 4 and not killed_at:
                system.process("case").kill(signal.SIGKILL)
                killed_at.append(time.monotonic())

        load = await submit_many(system.url("intake"), system.settings, N, on_progress=kill_case_once)
        assert killed_at, "the case service was killed mid-load"
        assert len(load.accepted) == N and not load.other
        settle = await wait_all_linked(system.settings, N)
        _, _, cases = await intake_counts(system.settings)
        assert system.process("case").restarts >= 1
        assert_clean(system, {"test": "kill -9 case", "sent": N, "accepted": len(load.accepted),
                              "cases": cases, "case_restarts": system.process("case").restarts,
                              "recovery_s": round(time.monotonic() - killed_at[0], 1),
                              "settle_after_load_s": round(settle, 1)})


async def test_restart_redis_mid_load(tmp_path: Path, private_redis_server: RedisServer) -> None:
    with running_system(tmp_path, redis_url=private_redis_server.url) as system:
        restarted: list[float] = []

        async def restart_redis_once(accepted: int) -> None:
            if accepted == N // 3 and not restarted:
                restarted.append(time.monotonic())
                await asyncio.to_thread(private_redis_server.stop)
                await asyncio.sleep(2)
                await asyncio.to_thread(private_redis_server.start)

        load = await submit_many(system.url("intake"), system.settings, N, on_progress=restart_redis_once)
        assert restarted and len(load.accepted) == N and not load.other
        settle = await wait_all_linked(system.settings, N)
        _, _, cases = await intake_counts(system.settings)
        assert_clean(system, {"test": "restart redis", "sent": N, "accepted": len(load.accepted), "cases": cases,
                              "recovery_s": round(time.monotonic() - restarted[0], 1),
                              "settle_after_load_s": round(settle, 1)})


async def test_postgres_down_for_ten_seconds(tmp_path: Path, private_redis_server: RedisServer,
                                             private_postgres: PostgresServer) -> None:
    with running_system(tmp_path, redis_url=private_redis_server.url, database_url=private_postgres.url) as system:
        outage: list[float] = []

        async def stop_postgres_once(accepted: int) -> None:
            if accepted == N // 3 and not outage:
                outage.append(time.monotonic())
                await asyncio.to_thread(private_postgres.stop)

                async def restart_later() -> None:
                    await asyncio.sleep(10)
                    await asyncio.to_thread(private_postgres.start)
                    outage.append(time.monotonic())

                asyncio.get_running_loop().create_task(restart_later())

        load = await submit_many(system.url("intake"), system.settings, N, on_progress=stop_postgres_once)
        assert len(outage) == 2, "PostgreSQL was stopped and started again"
        assert load.unavailable > 0, "intake said 503 while it could not persist"
        assert len(load.accepted) == N and not load.other
        settle = await wait_all_linked(system.settings, N)
        stored, _, cases = await intake_counts(system.settings)
        assert stored == N, "exactly the accepted consultations were stored"
        assert_clean(system, {"test": "postgres down 10s", "sent": load.sent, "accepted": len(load.accepted),
                              "answered_503": load.unavailable, "stored": stored, "cases": cases,
                              "outage_s": round(outage[1] - outage[0], 1), "settle_after_load_s": round(settle, 1)})


async def test_two_replicas_of_case_and_referral_share_the_work(tmp_path: Path, private_redis_server: RedisServer,
                                                                postgres_database_url: str) -> None:
    with running_system(tmp_path, redis_url=private_redis_server.url, database_url=postgres_database_url,
                        replicas={"case": 2, "referral": 2}) as system:
        load = await submit_many(system.url("intake"), system.settings, 300)
        assert len(load.accepted) == 300
        await wait_all_linked(system.settings, 300)
        _, _, cases = await intake_counts(system.settings)
        applied = {p.name: p.log_path.read_text(encoding="utf-8").count('"event_applied"')
                   for p in system.supervisor.processes if p.service == "case"}
        assert all(count > 0 for count in applied.values()), f"both case replicas worked: {applied}"
        assert_clean(system, {"test": "2 replicas case+referral", "sent": 300, "cases": cases,
                              "applied_per_case_replica": applied})
