"""Redis restarted and PostgreSQL down for ten seconds mid-load (private servers): intake
answers 503 while it cannot persist, nothing accepted is lost, nothing applied twice."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tests.support.faults import N, assert_clean, intake_counts, wait_all_linked
from tests.support.load import submit_many
from tests.support.servers import PostgresServer, RedisServer
from tests.support.system import running_system


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
        assert_clean(
            system,
            {
                "test": "restart redis",
                "sent": N,
                "accepted": len(load.accepted),
                "cases": cases,
                "recovery_s": round(time.monotonic() - restarted[0], 1),
                "settle_after_load_s": round(settle, 1),
            },
        )


async def test_postgres_down_for_ten_seconds(
    tmp_path: Path, private_redis_server: RedisServer, private_postgres: PostgresServer
) -> None:
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
        assert_clean(
            system,
            {
                "test": "postgres down 10s",
                "sent": load.sent,
                "accepted": len(load.accepted),
                "answered_503": load.unavailable,
                "stored": stored,
                "cases": cases,
                "outage_s": round(outage[1] - outage[0], 1),
                "settle_after_load_s": round(settle, 1),
            },
        )
