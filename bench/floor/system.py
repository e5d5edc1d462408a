"""The floor as processes, one per service (``bench.floor.main``), on the same kind of
database (migrated by Tsunagi's own migrations: the same tables and indexes) and Redis;
shaped like ``bench.system.BenchSystem`` so ``bench.scenario.run_load`` drives it the
same way."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from bench.system import prepared, service_ports
from shared.settings import Settings

SERVICES = ("intake", "case", "notify", "referral")


class FloorSystem:
    def __init__(self, settings: Settings, processes: dict[str, subprocess.Popen], port: int, database_url: str | None):
        self.settings, self.processes, self.port, self.database_url = settings, processes, port, database_url

    def url(self, _service: str, _replica: int = 1) -> str:
        return f"http://127.0.0.1:{self.port}"  # only intake answers HTTP

    def pids(self) -> dict[str, int]:
        return {f"floor {name}": p.pid for name, p in self.processes.items()}


@contextlib.asynccontextmanager
async def running_floor(folder: Path, *, redis_url: str, database_url: str | None) -> AsyncIterator[FloorSystem]:
    ports = service_ports({})
    env, settings = await prepared(folder, redis_url, database_url, ports)
    logs = folder / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    processes: dict[str, subprocess.Popen] = {}
    try:
        for service in SERVICES:
            log = (logs / f"floor-{service}.log").open("ab")
            processes[service] = subprocess.Popen(
                [sys.executable, "-m", "bench.floor.main", service, "--port", str(ports["intake"])],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        system = FloorSystem(settings, processes, ports["intake"], database_url)
        async with httpx.AsyncClient(base_url=system.url("intake")) as client:
            for _ in range(300):
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get("/health")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError(f"the floor's intake did not start; see {logs}")
        await asyncio.sleep(0.5)  # the consumers' groups made
        yield system
    except BaseException:
        for path in sorted(logs.glob("floor-*.log")):
            print(f"==== {path.name} ====\n{path.read_text(errors='replace')[-2000:]}", file=sys.stderr)
        raise
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
