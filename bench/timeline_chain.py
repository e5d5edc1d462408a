"""How long ``tsunagi verify`` takes: fills a scratch case database with timeline entries
through the real append code (``TimelineChain.append``, 1,000 entries a commit, ten
entries per case), then runs ``tsunagi verify --json`` over all of them as its own
process, and the same walk in this process.

    python -m bench.timeline_chain [--entries 100000] [--database sqlite|postgresql|both]

PostgreSQL: a scratch database on the server ``TSUNAGI_DATABASE_URL`` names (default
postgresql://postgres@127.0.0.1:5432/postgres), dropped afterwards."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from services.case.adapters.chain import TimelineChain
from services.case.adapters.chain_key import timeline_key
from services.case.entrypoints.cli import verify_all
from shared.db.engine import make_engine
from shared.db.migrate import migrate
from shared.events import Actor, CaseAssigned, Envelope, new_event_id
from shared.settings import PROJECT_ROOT, Settings

PER_COMMIT = 1000


async def fill(settings: Settings, entries: int, per_case: int) -> float:
    await migrate(settings, "case")
    engine = make_engine(settings, "case")
    chain = TimelineChain(timeline_key(settings))
    actor = Actor(role="coordinator", id="csw-chubu-1")
    started = time.perf_counter()
    try:
        cases_per_commit = PER_COMMIT // per_case
        for start in range(0, entries, PER_COMMIT):
            case_ids = [new_event_id() for _ in range(cases_per_commit)]
            batch = [
                (
                    Envelope.wrap(
                        CaseAssigned(case_id=c, area="中部", coordinator_id=f"csw-chubu-{n % 2 + 1}"),
                        aggregate_id=c,
                        actor=actor,
                        correlation_id=f"bench-{start}",
                        case_id=c,
                    ),
                    c,
                )
                for n in range(per_case)
                for c in case_ids
            ][: entries - start]
            async with engine.begin() as db:
                await chain.append(db, batch, datetime.now(UTC))
    finally:
        await engine.dispose()
    return time.perf_counter() - started


def cli_verify(settings: Settings) -> tuple[float, dict]:
    env = dict(os.environ, TSUNAGI_MODE=settings.mode, TSUNAGI_DATA_DIR=str(settings.data_dir))
    env.pop("TSUNAGI_DATABASE_URL", None)
    if settings.database_url:
        env["TSUNAGI_DATABASE_URL"] = settings.database_url
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "shared.cli.main", "verify", "--json"],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"tsunagi verify failed ({done.returncode}): {done.stderr[-2000:]}")
    return wall, json.loads(done.stdout)


async def run_one(database: str, entries: int, per_case: int, folder: Path) -> dict:
    server = os.environ.get("TSUNAGI_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"tsunagi_bench_chain_{uuid.uuid4().hex[:8]}"
    database_url = None
    if database == "postgresql":
        admin = await asyncpg.connect(server)
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.close()
        database_url = f"{server.rsplit('/', 1)[0]}/{name}"
    settings = Settings(mode="test", data_dir=folder / database, database_url=database_url)
    try:
        fill_s = await fill(settings, entries, per_case)
        in_process = await verify_all(settings, [])
        wall, report = await asyncio.to_thread(cli_verify, settings)
    finally:
        if database == "postgresql":
            admin = await asyncpg.connect(server)
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()
    return {
        "database": database,
        "entries": report["entries"],
        "cases": report["cases"],
        "intact": report["intact"],
        "append_s": round(fill_s, 2),
        "verify_walk_s": in_process["seconds"],
        "verify_cli_walk_s": report["seconds"],
        "verify_cli_wall_s": round(wall, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.timeline_chain", description=__doc__)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--per-case", type=int, default=10)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    with tempfile.TemporaryDirectory() as scratch:
        for database in databases:
            result = asyncio.run(run_one(database, args.entries, args.per_case, Path(scratch)))
            print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
