"""The console's page-level reads at 100,000 cases on PostgreSQL, one client at a time:
the dataset (``bench.scale.load``, restored from its cache when it can be), the services
started as ``make up`` starts them (``bench.system``), every read timed ``--repeat``
times, ``/health`` on the case process polled while the figures run, and the case
process's memory at the end. Writes ``bench/results/scale-postgresql.{json,md}``.

    make bench-scale                       # python -m bench.scale.reads
    python -m bench.scale.reads --cases 10000 --repeat 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.procs import private_redis, rss_mb
from bench.scale.load import CACHE, TIMELINE_KEY, database_url, ensure_dataset
from bench.scale.targets import Read, all_reads, as_dict, figures_reads, find, tokens
from bench.stats import latency_summary
from bench.system import running_system

RESULTS = Path(__file__).resolve().parents[1] / "results"
HEALTH_EVERY_S = 0.01


async def timed(client: httpx.AsyncClient, read: Read, token: str, repeat: int) -> dict[str, Any]:
    """``repeat`` reads after one untimed (warm-up) read; status must be 200."""
    headers = {"authorization": f"Bearer {token}"}
    seconds, size = [], 0
    for i in range(repeat + 1):
        started = time.perf_counter()
        answer = await client.get(read.path, params=read.params, headers=headers)
        took = time.perf_counter() - started
        if answer.status_code != 200:
            return {"error": answer.status_code, "detail": answer.text[:300], **as_dict(read)}
        if i:
            seconds.append(took)
        size = len(answer.content)
    summary = latency_summary(seconds)
    return {
        "p50_ms": summary["p50_ms"],
        "p95_ms": summary["p95_ms"],
        "max_ms": summary["max_ms"],
        "bytes": size,
        "n": len(seconds),
        **as_dict(read),
    }


async def health_watch(case_url: str, stop: asyncio.Event, out: list[float]) -> None:
    async with httpx.AsyncClient(base_url=case_url, timeout=60) as client:
        while not stop.is_set():
            started = time.perf_counter()
            await client.get("/health")
            out.append(time.perf_counter() - started)
            await asyncio.sleep(HEALTH_EVERY_S)


async def measure(system: Any, cases: int, repeat: int, figures_repeat: int) -> dict[str, Any]:
    found = await find(cases)
    tok = tokens(system.settings, found)
    urls = {s: system.url(s) for s in ("case", "referral", "notify")}
    district = next(d.id for d in system.settings_reference.school_districts if d.area == found.area)
    clients = {s: httpx.AsyncClient(base_url=u, timeout=120) for s, u in urls.items()}
    try:
        reads = {}
        for read in await all_reads(urls["case"], tok, found, district):
            reads[read.name] = await timed(clients[read.service], read, tok[read.who], repeat)
            print(f"  {read.name}: {reads[read.name].get('p50_ms')} / {reads[read.name].get('p95_ms')} ms", flush=True)
        health: list[float] = []
        stop = asyncio.Event()
        watcher = asyncio.create_task(health_watch(urls["case"], stop, health))
        figures = {}
        for read in figures_reads():
            figures[read.name] = await timed(clients[read.service], read, tok[read.who], figures_repeat)
            print(
                f"  {read.name}: {figures[read.name].get('p50_ms')} / {figures[read.name].get('p95_ms')} ms", flush=True
            )
        stop.set()
        await watcher
    finally:
        for client in clients.values():
            await client.aclose()
    return {
        "found": found.__dict__,
        "reads": reads,
        "figures": figures,
        "health": latency_summary(health),
        "case_rss_mb": rss_mb(system.pids()["case"]),
    }


def commit() -> str:
    found = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
    return found.stdout.strip() or "unknown"


def summarise(found: dict[str, Any], cases: int, repeat: int, figures_repeat: int, load_s: float) -> dict[str, Any]:
    p95 = {name: r.get("p95_ms") for name, r in found["reads"].items()}
    case_figures = [r.get("p95_ms") or 0 for n, r in found["figures"].items() if n.startswith("figures")]
    return {
        "database": "PostgreSQL",
        "reads_cases": cases,
        "repeat": repeat,
        "figures_repeat": figures_repeat,
        "dataset_seconds": round(load_s, 1),
        "reads_p95_ms": p95,
        "figures_p95_ms": max(case_figures, default=None),
        "loop_block_max_ms": found["health"]["max_ms"],
        "case_rss_mb": found["case_rss_mb"],
        "commit": commit(),
        **found,
    }


def markdown(results: dict[str, Any]) -> str:
    lines = [
        f"# Page-level reads at {results['reads_cases']:,} cases, PostgreSQL (commit `{results['commit']}`)",
        "",
        f"One client at a time, {results['repeat']} reads each after a warm-up read "
        f"(figures: {results['figures_repeat']}); ms.",
        "",
        "| read | p50 | p95 | bytes |",
        "| --- | --- | --- | --- |",
    ]
    for name, r in {**results["reads"], **results["figures"]}.items():
        if "error" in r:
            lines.append(f"| {name} | error {r['error']} | | |")
        else:
            lines.append(f"| {name} | {r['p50_ms']} | {r['p95_ms']} | {r['bytes']:,} |")
    health = results["health"]
    lines += [
        "",
        f"- `/health` on the case process while the figures ran: p50 {health['p50_ms']} ms, "
        f"max {health['max_ms']} ms ({health['count']} polls)",
        f"- case process RSS at the end: {results['case_rss_mb']} MB",
        f"- dataset ready (restored or generated) in {results['dataset_seconds']} s",
    ]
    return "\n".join(lines) + "\n"


async def main_async(args: argparse.Namespace) -> int:
    load_s = await ensure_dataset(args.cases, CACHE / "data", fresh=args.fresh)
    # A restored database has no visibility map yet (index-only scans read the heap);
    # autovacuum sets it on a live one.
    subprocess.run(["psql", database_url(args.cases), "-qc", "VACUUM (ANALYZE)"], check=True)
    print(f"dataset ready in {load_s:.0f} s", flush=True)
    os.environ["TSUNAGI_TIMELINE_KEY"] = TIMELINE_KEY
    with tempfile.TemporaryDirectory(prefix="tsunagi-scale-") as tmp, private_redis(Path(tmp) / "redis") as (redis, _):
        async with running_system(
            Path(tmp), redis_url=redis, database_url=database_url(args.cases), replicas={}
        ) as system:
            from shared.reference import load_reference_data

            system.settings_reference = load_reference_data(system.settings.reference_dir)
            found = await measure(system, args.cases, args.repeat, args.figures_repeat)
    results = summarise(found, args.cases, args.repeat, args.figures_repeat, load_s)
    RESULTS.mkdir(exist_ok=True)
    stem = RESULTS / "scale-postgresql"
    stem.with_suffix(".json").write_text(
        json.dumps(results, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
    )
    stem.with_suffix(".md").write_text(markdown(results), encoding="utf-8")
    print(markdown(results))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20, help="timed reads of each page")
    parser.add_argument("--figures-repeat", type=int, default=3, help="timed reads of each figures page")
    parser.add_argument("--fresh", action="store_true", help="generate the dataset even if a cached dump exists")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
