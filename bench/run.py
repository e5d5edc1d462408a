"""``make bench``: the whole system under load, next to two floors: the equivalent-work
floor (``bench/floor``: Tsunagi's work by hand) and the transport floor (a raw Redis +
database pipeline, ``bench/baseline.py``).

Per database (SQLite; PostgreSQL too when ``TSUNAGI_DATABASE_URL`` is set):

1. the transport floor at full speed (N messages);
2. Tsunagi, one replica each: N/10 and N consultations at full speed (10× load), then a
   fixed rate at half the measured saturation, referring some cases to agencies, and the
   same rate again without referrals; then the mixed run (consultations at 50/s while
   coordinators read and refer) and the realistic mix (likely-match offers);
3. the equivalent-work floor, N at full speed, and the work both did side by side;
4. the transport floor at the fixed rate of 2;
5. Tsunagi with two case replicas, N at full speed;
6. a profiled run (intake and case under py-spy), N at full speed.

Figures go to ``bench/results/latest.{json,md,png}``."""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import redis

from bench.baseline import run_baseline
from bench.floor.system import running_floor
from bench.options import databases, parse_args
from bench.procs import private_redis
from bench.profiling import summarise_profile
from bench.report import headline, write_results
from bench.scenario import Load, run_load
from bench.stats import ratio
from bench.system import running_system, scratch_postgres


def say(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", flush=True)


def brief(result: dict) -> str:
    lat = result.get("latency_201_to_case") or result.get("latency_xadd_to_commit") or {}
    return (
        f"{result['label']}: {result.get('cases_per_s')} cases/s, p50 {lat.get('p50_ms')} ms, "
        f"p99 {lat.get('p99_ms')} ms" + (f", missing {result['missing_cases']}" if result.get("missing_cases") else "")
    )


class Bench:
    def __init__(self, args: argparse.Namespace, folder: Path, redis_url: str, redis_pid: int) -> None:
        self.args = args
        self.folder = folder
        self.redis_url = redis_url
        self.extra_pids = {"redis-server": redis_pid, "load generator (bench)": os.getpid()}

    def flush_redis(self) -> None:
        with redis.Redis.from_url(self.redis_url) as client:
            client.flushall()

    async def tsunagi(
        self,
        kind: str,
        admin_url: str | None,
        name: str,
        replicas: dict[str, int],
        loads: list[Load],
        profile: tuple[str, ...] = (),
    ) -> list[dict]:
        """Starts a fresh system (fresh database and streams), runs the loads in order."""
        folder = self.folder / f"{kind}-{name}"
        results: list[dict] = []
        async with _database(admin_url) as database_url:
            async with running_system(
                folder, redis_url=self.redis_url, database_url=database_url, replicas=replicas, profile=profile
            ) as system:
                warm = await run_load(system, self.redis_url, Load("warm-up", n=min(10, self.args.n)), {})
                if warm["missing_cases"]:
                    say(
                        f"warm-up: {warm['missing_cases']} of {warm['accepted']} consultations opened no case; "
                        f"see {folder / 'logs'}"
                    )
                for load in loads:
                    if load.rate == 0:  # decided by the run before
                        last = results[-1]
                        if last["rate_per_s"]:  # a fixed-rate run: the same rate and count again
                            load.rate, load.n = last["rate_per_s"], last["n"]
                        else:  # a full-speed run: half of its saturation
                            # Saturation is what the whole system sustains: cases opened per s,
                            # or less when other consumers (notify…) were still catching up.
                            saturated = min(
                                filter(None, [last.get("cases_per_s"), last.get("settled_per_s")]), default=10.0
                            )
                            load.rate = round(max(1.0, saturated / 2), 1)
                            load.n = int(min(self.args.n, max(20, load.rate * self.args.fixed_seconds)))
                        load.referrals = min(load.referrals, load.n)
                    result = await run_load(system, self.redis_url, load, self.extra_pids)
                    result.update(database=kind, replicas=replicas)
                    say(brief(result))
                    results.append(result)
        self.flush_redis()
        return results

    async def floor(self, kind: str, admin_url: str | None, load: Load) -> dict:
        """The equivalent-work floor (``bench/floor``) on a fresh database and streams:
        the same warm-up, load generator and clock points as Tsunagi's runs."""
        folder = self.folder / f"{kind}-floor"
        load.http_checks = 0  # the floor has no case API to read
        async with _database(admin_url) as database_url:
            async with running_floor(folder, redis_url=self.redis_url, database_url=database_url) as system:
                await run_load(system, self.redis_url, Load("warm-up", n=min(10, self.args.n), http_checks=0), {})
                result = await run_load(system, self.redis_url, load, self.extra_pids)
        result["database"] = kind
        say(brief(result))
        self.flush_redis()
        return result

    async def baseline(self, kind: str, admin_url: str | None, label: str, n: int, rate: float | None) -> dict:
        async with _database(admin_url) as database_url:
            database = database_url or str(self.folder / f"baseline-{label}.db")
            result = await run_baseline(
                self.redis_url, database, self.folder, label=label, n=n, rate=rate, concurrency=self.args.concurrency
            )
        result["database"] = kind
        say(brief(result))
        return result

    async def for_database(self, kind: str, admin_url: str | None) -> dict:
        a, n = self.args, self.args.n
        small = max(1, n // 10)
        # The baseline is so fast that N messages take a blink: send at least 2000 for a stable rate.
        base_n = max(n, 2000)
        say(f"{kind}: baseline, {base_n} messages at full speed")
        baseline_full = await self.baseline(kind, admin_url, "baseline full speed", base_n, None)
        say(f"{kind}: Tsunagi, 1 replica each: {small} and {n} at full speed, then half saturation")
        one = await self.tsunagi(
            kind,
            admin_url,
            "1-replica",
            {"case": 1},
            [
                Load(f"tsunagi N={small} full speed", small, concurrency=a.concurrency),
                Load(f"tsunagi N={n} full speed", n, concurrency=a.concurrency),
                Load("tsunagi half saturation", n, rate=a.rate or 0, concurrency=a.concurrency, referrals=a.referrals),
                # The same rate and count without the referral workflows: what they add to the
                # consultations' latency and CPU when they run beside them.
                Load("tsunagi half saturation, no referrals", n, rate=a.rate or 0, concurrency=a.concurrency),
                mixed_load(a),
                Load(f"realistic mix N={a.realistic}", a.realistic, concurrency=a.concurrency, realistic=True),
            ],
        )
        say(f"{kind}: the equivalent-work floor, {n} at full speed")
        floor = await self.floor(kind, admin_url, Load(f"floor N={n} full speed", n, concurrency=a.concurrency))
        fixed = one[2]
        baseline_fixed = await self.baseline(
            kind, admin_url, "baseline same fixed rate", fixed["n"], fixed["rate_per_s"]
        )
        two: list[dict] = []
        if not a.no_scaling:
            say(f"{kind}: Tsunagi with 2 case replicas, {n} at full speed")
            two = await self.tsunagi(
                kind,
                admin_url,
                "2-replicas",
                {"case": 2},
                [Load(f"tsunagi N={n} full speed, case x2", n, concurrency=a.concurrency)],
            )
        pairs = [ratio(one[1]["cases_per_s"], floor["cases_per_s"])]
        for k in range(a.floor_pairs - 1):
            # More pairs, each side on a fresh system, alternated: a shared machine's load
            # moves more between runs than the ratio does.
            say(f"{kind}: Tsunagi and the floor again, pair {k + 2} of {a.floor_pairs}")
            mine = await self.tsunagi(
                kind, admin_url, f"pair-{k}", {"case": 1}, [Load(f"pair N={n}", n, concurrency=a.concurrency)]
            )
            its = await self.floor(kind, admin_url, Load(f"floor pair N={n}", n, concurrency=a.concurrency))
            pairs.append(ratio(mine[0]["cases_per_s"], its["cases_per_s"]))
        profile: dict = {}
        if not a.no_profile:
            profile = await self.profiled(kind, admin_url)
        runs = {
            "baseline_full": baseline_full,
            "baseline_fixed": baseline_fixed,
            "small": one[0],
            "large": one[1],
            "fixed": fixed,
            "fixed_no_referrals": one[3],
            "floor": floor,
            "mixed": one[4],
            "realistic": one[5],
            "two_replicas": two[0] if two else None,
        }
        head = headline(runs)
        head["equivalent_floor_pairs"] = pairs
        if len(pairs) > 1:
            head["equivalent_floor_ratio"] = statistics.median(p for p in pairs if p is not None)
        return {"headline": head, "runs": runs, "profile": profile}

    async def profiled(self, kind: str, admin_url: str | None) -> dict:
        if not shutil.which("py-spy", path=str(Path(sys.executable).parent)):
            return {"error": "py-spy is not installed (pip install -e '.[bench]')"}
        say(f"{kind}: profiled run (intake and case under py-spy), {self.args.n} at full speed")
        folder = self.folder / f"{kind}-profiled"
        results = await self.tsunagi(
            kind,
            admin_url,
            "profiled",
            {"case": 1},
            [Load(f"tsunagi N={self.args.n} under py-spy", self.args.n, concurrency=self.args.concurrency)],
            profile=("intake", "case"),
        )
        out = {"run": {k: results[0][k] for k in ("cases_per_s", "accepted_per_s", "duration_s")}}
        for service in ("intake", "case"):
            summary = summarise_profile(folder / f"profile-{service}.txt")
            out[service] = summary
            raw = folder / f"profile-{service}.txt"
            if raw.exists():
                shutil.copy(raw, self.args.out / f"profile-{kind}-{service}.txt")
        return out


def mixed_load(a: argparse.Namespace) -> Load:
    """Consultations at a steady rate while coordinators read (queues and case pages) and
    refer (``a.mixed_referrals_per_s``: cases chosen at random among the run's, so spread
    evenly over it)."""
    n = max(2, int(a.mixed_rate * a.mixed_seconds))
    referrals = max(1, round(n * a.mixed_referrals_per_s / a.mixed_rate))
    return Load(
        f"mixed {a.mixed_rate:g}/s",
        n,
        rate=a.mixed_rate,
        concurrency=a.concurrency,
        referrals=referrals,
        reads_per_s=a.mixed_reads_per_s,
    )


def _database(admin_url: str | None):
    if admin_url:
        return scratch_postgres(admin_url)
    return _no_database()


class _no_database:
    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *_: object) -> None:
        return None


async def main_async(args: argparse.Namespace) -> int:
    args.out.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="tsunagi-bench-"))
    started = time.time()
    try:
        with private_redis(folder) as (redis_url, redis_process):
            bench = Bench(args, folder, redis_url, redis_process.pid)
            by_database = {}
            for kind, admin_url in databases(args):
                by_database[kind] = await bench.for_database(kind, admin_url)
        paths = write_results(args.out, by_database, args, seconds=time.time() - started)
        say(f"done in {time.time() - started:.0f} s: " + ", ".join(str(p) for p in paths))
        return 0
    finally:
        if args.keep:
            say(f"scratch folder kept: {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(main_async(parse_args(argv, __doc__ or "")))


if __name__ == "__main__":
    sys.exit(main())
