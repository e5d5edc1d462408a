"""The coordinators' side of the mixed run: while consultations arrive at a steady rate,
coordinators read their area's queue (page 1) and open case pages (a case's detail, of a
case already opened in this run) at ``rate`` reads a second in all, alternately, each
read started on time whether or not the one before has answered (open loop). Reports
each kind's latency, and errors."""

from __future__ import annotations

import asyncio
import random
import time

import httpx

from bench.stats import latency_summary
from bench.system import BenchSystem
from bench.watch import StreamWatcher
from bench.workload import COORDINATOR_OF_AREA
from shared.identity import issue_token


async def read_while(
    system: BenchSystem, client: httpx.AsyncClient, watcher: StreamWatcher, rate: float, done: asyncio.Event
) -> dict:
    headers = {
        area: {"authorization": f"Bearer {issue_token(system.settings, role='coordinator', scope=area, subject=who)}"}
        for area, who in COORDINATOR_OF_AREA.items()
    }
    areas = sorted(headers)
    rng = random.Random(6)
    took: dict[str, list[float]] = {"queue": [], "case": []}
    errors: list[str] = []

    async def read(kind: str, path: str, area: str) -> None:
        started = time.perf_counter()
        try:
            answer = await client.get(path, headers=headers[area])
        except httpx.HTTPError as exc:
            errors.append(f"{kind}: {type(exc).__name__}")
            return
        if answer.status_code == 200:
            took[kind].append(time.perf_counter() - started)
        else:
            errors.append(f"{kind}: {answer.status_code} {answer.text[:100]}")

    tasks: list[asyncio.Task] = []
    t0, i = time.monotonic(), 0
    while not done.is_set():
        delay = t0 + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        with watcher.lock:
            opened = list(watcher.seen.opened.values())
        if i % 2 or not opened:
            area = areas[i % len(areas)]
            tasks.append(asyncio.create_task(read("queue", "/v1/cases", area)))
        else:
            _entered, case_id, area = rng.choice(opened)
            tasks.append(asyncio.create_task(read("case", f"/v1/cases/{case_id}", area)))
        i += 1
    await asyncio.gather(*tasks)
    return {
        "rate_per_s": rate,
        "queue_page_1": latency_summary(took["queue"]),
        "case_detail": latency_summary(took["case"]),
        "all": latency_summary(took["queue"] + took["case"]),
        "errors": len(errors),
        "error_samples": errors[:3],
    }
