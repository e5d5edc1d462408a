"""Reads over HTTP beside a run: the check that a case is visible once its
``case.opened`` is seen, and the coordinators' side of the mixed run — while
consultations arrive at a steady rate, coordinators read their area's queue (page 1)
and open case pages (a case's detail, of a case already opened in this run) at
``rate`` reads a second in all, alternately, each read started on time whether or not
the one before has answered (open loop). Reports each kind's latency, and errors."""

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


async def check_visible_over_http(
    system: BenchSystem,
    client: httpx.AsyncClient,
    watcher: StreamWatcher,
    accepted: dict[int, str],
    indices: list[int],
    done_loading: asyncio.Event,
    timeout_s: float,
) -> dict:
    """During the run: as soon as the watcher sees the case.opened of one of the sampled
    consultations, reads that case over HTTP (supervisor). Each must already be there —
    the check that the stream entry's time is a fair 'visible in the queue' time. Reports
    how long after the entry each read went out (the watcher's and this loop's delay)."""
    token = issue_token(system.settings, role="supervisor", scope="city", subject="bench-supervisor")
    headers = {"authorization": f"Bearer {token}"}
    visible, errors, read_after_ms = 0, [], []
    waiting = list(indices)
    deadline = None
    while waiting:
        if done_loading.is_set():
            deadline = deadline or time.monotonic() + timeout_s
            if time.monotonic() > deadline:
                break
        seen = [(i, watcher.case_of(accepted[i])) for i in waiting if i in accepted]
        seen = [(i, opened) for i, opened in seen if opened is not None]
        if done_loading.is_set():  # every answer is in: one that was not accepted has nothing to read
            waiting = [i for i in waiting if i in accepted]
        if not seen:
            await asyncio.sleep(0.002)
            continue
        for index, (entered, case_id, _area) in seen:
            waiting.remove(index)
            read_after_ms.append(round((time.time() - entered) * 1000, 1))
            answer = await client.get(f"/v1/cases/{case_id}", headers=headers)
            if answer.status_code == 200:
                visible += 1
            else:
                errors.append(f"{answer.status_code}: {answer.text[:120]}")
    return {
        "checked": len(read_after_ms),
        "visible": visible,
        "errors": errors[:3],
        "read_after_entry_ms_max": max(read_after_ms, default=None),
    }
