"""A bounded load generator and the checks the fault tests end with."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from shared.identity import issue_token
from shared.settings import PROJECT_ROOT, Settings

EXAMPLE = json.loads((PROJECT_ROOT / "examples" / "consultation.json").read_text(encoding="utf-8"))
DISTRICTS = [f"SD{n:02d}" for n in range(1, 21)]


def consultation(n: int) -> dict[str, Any]:
    return {
        **EXAMPLE,
        "school_district": DISTRICTS[n % len(DISTRICTS)],
        "person": {"age_group": f"{(n % 9 + 1) * 10}代"},
        "noticed": f"サンプル: 負荷試験 {n}",
        "household": [],
    }


@dataclass
class LoadResult:
    sent: int = 0
    accepted: list[str] = field(default_factory=list)  # reference numbers answered 201
    unavailable: int = 0  # 503 answers (retried by the client, as Retry-After asks)
    other: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0


async def submit_many(
    intake_url: str,
    settings: Settings,
    n: int,
    *,
    concurrency: int = 8,
    on_progress: Callable[[int], Awaitable[None]] | None = None,
    retry_unavailable: bool = True,
) -> LoadResult:
    """Submits ``n`` consultations; a 503 is retried after a pause (a client obeying
    Retry-After), a connection error too (the service may be restarting)."""
    result = LoadResult()
    token = issue_token(settings, role="reporter", scope="load", subject="load")
    headers = {"authorization": f"Bearer {token}"}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)
    started = time.monotonic()

    async def worker(client: httpx.AsyncClient) -> None:
        while True:
            try:
                i = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            while True:
                result.sent += 1
                try:
                    response = await client.post("/v1/consultations", json=consultation(i), headers=headers)
                except httpx.TransportError:
                    await asyncio.sleep(0.5)
                    continue
                if response.status_code == 201:
                    result.accepted.append(response.json()["reference"])
                    if on_progress is not None:
                        await on_progress(len(result.accepted))
                    break
                if response.status_code == 503 and retry_unavailable:
                    result.unavailable += 1
                    await asyncio.sleep(min(float(response.headers.get("retry-after", "1")), 1.0))
                    continue
                result.other[response.status_code] = result.other.get(response.status_code, 0) + 1
                break

    async with httpx.AsyncClient(base_url=intake_url, timeout=30) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    result.seconds = time.monotonic() - started
    return result


def run_tsunagi(settings: Settings, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Runs the ``tsunagi`` command against the system's Redis and databases."""
    env = {
        **os.environ,
        "TSUNAGI_DATA_DIR": str(settings.data_dir),
        "TSUNAGI_MODE": "test",
        "TSUNAGI_REDIS_URL": settings.effective_redis_url(),
        "TSUNAGI_OPERATOR": "test",
    }
    for name in ("TSUNAGI_DATABASE_URL", "TSUNAGI_TIMELINE_KEY"):
        env.pop(name, None)
    if settings.database_url:
        env["TSUNAGI_DATABASE_URL"] = settings.database_url
    if settings.timeline_key is not None:
        env["TSUNAGI_TIMELINE_KEY"] = settings.timeline_key.get_secret_value()
    return subprocess.run(
        [sys.executable, "-m", "shared.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=PROJECT_ROOT,
    )


def tsunagi_check(settings: Settings, *, wait_s: int = 90) -> dict[str, Any]:
    """``tsunagi check --wait … --json``, parsed, with its exit code."""
    completed = run_tsunagi(settings, "check", "--wait", str(wait_s), "--json", timeout=wait_s + 60)
    try:
        report = json.loads(completed.stdout)
    except json.JSONDecodeError:
        report = {"raw": completed.stdout[-3000:]}
    report["exit_code"] = completed.returncode
    report["stderr"] = completed.stderr[-3000:]
    return report
