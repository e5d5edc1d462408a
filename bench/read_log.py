"""What recording every read costs the read path: a coordinator's ``GET /v1/cases/{id}``
with the read written to the read log in its own transaction (as the service runs) and
with that step left out, alternated in blocks in the same run, in-process (no network),
on SQLite and on PostgreSQL.

    python -m bench.read_log [--reads 600] [--database sqlite|postgresql|both]

Needs a redis-server on the PATH (a private one is started)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

from bench.procs import private_redis
from bench.system import scratch_postgres
from services.case.adapters.orm import cases
from services.case.bootstrap import build_app
from services.case.handlers import queries
from shared.db.engine import make_engine
from shared.db.migrate import migrate
from shared.identity import issue_token
from shared.settings import Settings

BLOCK = 50


async def _unrecorded(*_args: Any) -> None:
    """The read path as it was for coordinators: nothing written."""


@contextlib.asynccontextmanager
async def _case_service(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(settings)
    async with app.router.lifespan_context(app):
        await asyncio.wait_for(app.state.services.runtime.messaging_started.wait(), timeout=30)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://case") as client:
            yield client


async def _one_case(settings: Settings) -> str:
    engine = make_engine(settings, "case")
    now = datetime.now(UTC)
    async with engine.begin() as db:
        await db.execute(
            insert(cases).values(
                id="01BENCHREADLOG000000000000",
                case_number="K-BENCH-1",
                area="中部",
                school_district="SD07",
                status="対応中",
                stage="対応中",
                priority="通常",
                categories=["孤立"],
                coordinator_id="csw-chubu-1",
                consent="未確認",
                person={},
                channel="電話",
                opened_at=now,
                updated_at=now,
                version=1,
            )
        )
    await engine.dispose()
    return "01BENCHREADLOG000000000000"


async def measure(settings: Settings, reads: int) -> dict[str, dict[str, float]]:
    await migrate(settings, "case")
    case_id = await _one_case(settings)
    token = issue_token(settings, role="coordinator", scope="中部", subject="csw-chubu-1")
    headers = {"authorization": f"Bearer {token}"}
    timings: dict[str, list[float]] = {"recorded": [], "not recorded": []}
    recorded = queries.record_read
    async with _case_service(settings) as client:
        for block in range(reads // BLOCK):
            kind = "recorded" if block % 2 == 0 else "not recorded"
            queries.record_read = recorded if kind == "recorded" else _unrecorded  # type: ignore[assignment]
            for _ in range(BLOCK):
                started = time.perf_counter()
                answer = await client.get(f"/v1/cases/{case_id}", headers=headers)
                timings[kind].append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 200, answer.text
    queries.record_read = recorded  # type: ignore[assignment]
    return {
        kind: {
            "p50_ms": round(statistics.median(ms), 2),
            "p95_ms": round(statistics.quantiles(ms, n=20)[18], 2),
            "reads": len(ms),
        }
        for kind, ms in timings.items()
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reads", type=int, default=600)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    admin = os.environ.get("TSUNAGI_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    with tempfile.TemporaryDirectory() as folder, private_redis(Path(folder) / "redis") as (redis_url, _process):
        for database in ("sqlite", "postgresql") if args.database == "both" else (args.database,):
            base = {"mode": "test", "data_dir": Path(folder) / database, "redis_url": redis_url, "log_level": "WARNING"}
            if database == "postgresql":
                async with scratch_postgres(admin) as url:
                    figures = await measure(Settings(**base, database_url=url), args.reads)
            else:
                figures = await measure(Settings(**base), args.reads)
            for kind, f in figures.items():
                p50, p95, n = f["p50_ms"], f["p95_ms"], f["reads"]
                print(f"{database:10} {kind:13} p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  ({n:.0f} reads)")


if __name__ == "__main__":
    asyncio.run(main())
