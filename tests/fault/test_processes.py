"""Service processes killed or doubled mid-load: a case service killed with SIGKILL is
restarted and picks up where it was; two replicas of case and referral share the work."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path
from typing import Any

from tests.support.faults import N, assert_clean, intake_counts, wait_all_linked
from tests.support.load import submit_many
from tests.support.servers import RedisServer
from tests.support.system import System, running_system


async def test_kill_case_service_mid_load(
    tmp_path: Path, private_redis_server: RedisServer, postgres_database_url: str
) -> None:
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
        assert_clean(
            system,
            {
                "test": "kill -9 case",
                "sent": N,
                "accepted": len(load.accepted),
                "cases": cases,
                "case_restarts": system.process("case").restarts,
                "recovery_s": round(time.monotonic() - killed_at[0], 1),
                "settle_after_load_s": round(settle, 1),
            },
        )


async def test_two_replicas_of_case_and_referral_share_the_work(
    tmp_path: Path, private_redis_server: RedisServer, postgres_database_url: str
) -> None:
    with running_system(
        tmp_path,
        redis_url=private_redis_server.url,
        database_url=postgres_database_url,
        replicas={"case": 2, "referral": 2},
    ) as system:
        load = await submit_many(system.url("intake"), system.settings, 300)
        assert len(load.accepted) == 300
        await wait_all_linked(system.settings, 300)
        _, _, cases = await intake_counts(system.settings)
        referred = await refer_cases(system, per_area=15)
        applied = {
            p.name: p.log_path.read_text(encoding="utf-8").count('"event_applied"')
            for p in system.supervisor.processes
            if p.service in ("case", "referral")
        }
        assert applied["case"] > 0 and applied["case-2"] > 0, f"both case replicas worked: {applied}"
        assert_clean(
            system,
            {
                "test": "2 replicas case+referral",
                "sent": 300,
                "cases": cases,
                "referrals": referred,
                "applied_per_replica": applied,
            },
        )


async def refer_cases(system: System, per_area: int) -> int:
    """Coordinators of each area assign and refer some of their cases (concurrently)."""
    import httpx

    from tests.support.services import bearer

    referred = 0
    async with httpx.AsyncClient(base_url=system.url("case"), timeout=30) as client:

        async def refer(case: dict[str, Any], headers: dict[str, str], coordinator: str) -> None:
            nonlocal referred
            version = case["version"]
            assigned = await client.post(
                f"/v1/cases/{case['id']}/assignment",
                headers=headers,
                json={"coordinator_id": coordinator, "version": version},
            )
            assert assigned.status_code == 200, assigned.text
            made = await client.post(
                f"/v1/cases/{case['id']}/referrals",
                headers=headers,
                json={
                    "agency_id": "hc-3",
                    "purpose": "サンプル: 負荷試験",
                    "share": ["age_group", "categories"],
                    "version": version + 1,
                },
            )
            assert made.status_code == 201, made.text
            referred += 1

        for area, coordinator in (
            ("北東部", "csw-hokutou-1"),
            ("中部", "csw-chubu-1"),
            ("西部", "csw-seibu-1"),
            ("南部", "csw-nanbu-1"),
        ):
            headers = bearer(system.settings, "coordinator", area, subject=coordinator)
            listed = await client.get("/v1/cases", params={"area": area, "per_page": per_area}, headers=headers)
            assert listed.status_code == 200, listed.text
            mine = [c for c in listed.json()["items"] if c["area"] == area][:per_area]
            await asyncio.gather(*(refer(c, headers, coordinator) for c in mine))
    return referred
