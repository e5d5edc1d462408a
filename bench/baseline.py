"""The raw baseline, on the same Redis and the same kind of database as the system:
the producer here XADDs consultation-sized JSON entries (at full speed or a fixed rate,
with the same concurrency bound as the HTTP load); ``baseline_consumer`` (its own
process) applies them. Latency: XADD answered → the message's row committed."""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from pathlib import Path

from redis.asyncio import Redis

from bench.stats import latency_summary, per_second
from bench.workload import consultations


async def run_baseline(
    redis_url: str,
    database: str,
    folder: Path,
    *,
    label: str,
    n: int,
    rate: float | None = None,
    concurrency: int = 16,
    timeout_s: float = 120.0,
) -> dict:
    """``database``: a PostgreSQL URL, or a SQLite file path."""
    run = uuid.uuid4().hex[:8]
    stream, group, table = f"bench.baseline.{run}", "baseline", f"baseline_{run}"
    out = folder / f"baseline-{run}.json"
    redis = Redis.from_url(redis_url)
    await redis.xgroup_create(stream, group, id="0", mkstream=True)
    consumer = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.baseline_consumer",
        "--redis",
        redis_url,
        "--db",
        database,
        "--stream",
        stream,
        "--group",
        group,
        "--table",
        table,
        "--out",
        str(out),
        "--n",
        str(n),
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert consumer.stdout is not None
        await asyncio.wait_for(consumer.stdout.readline(), timeout=30)
        payloads = [
            json.dumps({"reference": f"B-{run}-{i}", **body}, ensure_ascii=False).encode()
            for i, body in enumerate(consultations(n))
        ]
        added: dict[str, float] = {}
        slots = asyncio.Semaphore(concurrency)
        started = time.time()

        async def add(payload: bytes) -> None:
            try:
                message_id = await redis.xadd(stream, {"data": payload})
                added[message_id.decode()] = time.time()
            finally:
                slots.release()

        tasks = []
        t0 = time.monotonic()
        for i, payload in enumerate(payloads):
            if rate:
                delay = t0 + i / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            await slots.acquire()
            tasks.append(asyncio.create_task(add(payload)))
        await asyncio.gather(*tasks)
        await asyncio.wait_for(consumer.wait(), timeout=timeout_s)
    finally:
        if consumer.returncode is None:
            consumer.kill()
            await consumer.wait()
        await redis.delete(stream)
        await redis.aclose()
    result = json.loads(out.read_text())
    committed: dict[str, float] = result["committed"]
    latencies = [committed[m] - added[m] for m in added if m in committed]
    return {
        "label": label,
        "n": n,
        "mode": "fixed rate" if rate else "full speed",
        "rate_per_s": rate,
        "concurrency": concurrency,
        "committed": len(committed),
        "xadd_per_s": per_second(len(added), started, max(added.values(), default=None)),
        "cases_per_s": per_second(len(committed), started, max(committed.values(), default=None)),
        "latency_xadd_to_commit": latency_summary(latencies),
        "consumer_peak_rss_mb": result["peak_rss_mb"],
        "consumer_cpu_s": result["cpu_s"],
        "consumer_cpu_ms_per_message": round(1000 * result["cpu_s"] / n, 3) if result["cpu_s"] else None,
    }
