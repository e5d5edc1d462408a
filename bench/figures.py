"""What the supervisor's figures cost at scale, and whether they stall the process: N
cases (default 100,000) spread over two years are bulk-loaded (COPY) into a scratch
PostgreSQL database in the case service's own tables, the case service runs in this
process (its HTTP app, consumers and relay, as ``tsunagi serve case``), and each figure
— every period, all-time, JSON and CSV, a supervisor's and a coordinator's — is read
``--repeat`` times: first live (nothing kept), then from the projection of closed months
after ``tsunagi figures rebuild``'s work. Meanwhile ``/health`` is asked every 10 ms on
the same event loop: its slowest answer is how long the figures held the loop.
Writes ``bench/results/figures-postgresql.{json,md}``.

    python -m bench.figures [--n 100000] [--repeat 5]
    TSUNAGI_DATABASE_URL=postgresql://…/postgres python -m bench.figures
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import delete

from bench.procs import private_redis, rss_mb
from bench.stats import latency_summary, ratio
from bench.system import scratch_postgres
from services.case.adapters.figure_projection import rebuild
from services.case.adapters.orm import figure_counts, figure_durations, figure_months
from shared.clock import utcnow
from shared.db.migrate import migrate
from shared.identity import issue_token
from shared.reference import CITY_WIDE, UNKNOWN_DISTRICT, ReferenceData, load_reference_data
from shared.settings import Settings

RESULTS = Path(__file__).with_name("results")
PERIODS: tuple[dict[str, str], ...] = ({"period": "month"}, {"period": "quarter"}, {"period": "fiscal_year"}, {})
DAYS = 730  # two years of cases


def _id(i: int, prefix: str) -> str:
    return f"{prefix}{i:0{26 - len(prefix)}d}"


def generate(n: int, now: datetime, reference: ReferenceData, seed: int = 7) -> dict[str, list[tuple[Any, ...]]]:
    """Rows in the shapes the case service writes (only the columns the figures read are
    realistic; personal fields are empty)."""
    rng = random.Random(seed)
    districts = reference.school_districts
    categories = [c.id for c in reference.categories]
    channels = [c.id for c in reference.channels]
    agencies = reference.agencies
    rows: dict[str, list[tuple[Any, ...]]] = {"cases": [], "case_consultations": [], "referrals": []}
    for i in range(n):
        opened = now - timedelta(seconds=rng.uniform(0, DAYS * 86400))
        if rng.random() < 0.05:
            area, district = CITY_WIDE, UNKNOWN_DISTRICT
        else:
            picked = rng.choice(districts)
            area, district = picked.area, picked.id
        age_days = (now - opened).days
        status = (
            rng.choice(("受付", "対応中", "つなぎ中", "見守り"))
            if rng.random() < (0.8 if age_days < 90 else 0.1)
            else "終結"
        )
        contact = opened + timedelta(hours=rng.lognormvariate(2.5, 1.2)) if rng.random() < 0.9 else None
        contact = contact if contact and contact < now else None
        referred = rng.random() < 0.3
        handoff = opened + timedelta(hours=rng.uniform(24, 400)) if referred else None
        handoff = handoff if handoff and handoff < now else None
        merged = _id(rng.randrange(i), "c") if i and rng.random() < 0.01 else None
        chosen = json.dumps(rng.sample(categories, rng.choice((1, 1, 2))), ensure_ascii=False)
        channel = rng.choice(channels)
        case_id = _id(i, "c")
        closed = opened + timedelta(days=60) if status == "終結" else None
        rows["cases"].append(
            (case_id, f"N-{i:08d}", area, district, status, "対応中", "通常", chosen, None, "同意", None, "{}",
             channel, False, opened, opened, contact, handoff, closed, merged, 1, None)
        )  # fmt: skip
        received = [opened - timedelta(minutes=rng.uniform(1, 30))]
        if rng.random() < 0.2:
            received.append(min(now, opened + timedelta(days=rng.uniform(0, 60))))
        for k, at in enumerate(received):
            rows["case_consultations"].append(
                (_id(i * 2 + k, "q"), case_id, f"R-{i:08d}-{k}", "vol-1", "民生委員", channel, district, chosen,
                 "通常", "同意", None, "{}", "[]", "", "opened" if k == 0 else "linked", at)
            )  # fmt: skip
        if handoff:
            agency = rng.choice(agencies)
            fate = rng.random()
            accepted = handoff + timedelta(hours=rng.uniform(1, 200)) if fate < 0.7 else None
            declined = handoff + timedelta(hours=rng.uniform(1, 100)) if 0.7 <= fate < 0.8 else None
            accepted, declined = (a if a and a < now else None for a in (accepted, declined))
            state = "accepted" if accepted else "declined" if declined else "requested"
            rows["referrals"].append(
                (_id(i, "r"), case_id, agency.id, None, "[]", "通常", state, None, "csw-1", handoff, None, None,
                 accepted, declined, None, False, None, accepted or declined or handoff)
            )  # fmt: skip
    return rows


COLUMNS = {
    "cases": (
        "id", "case_number", "area", "school_district", "status", "stage", "priority", "categories",
        "coordinator_id", "consent", "legal_ground", "person", "channel", "sample", "opened_at", "updated_at",
        "first_contact_at", "first_handoff_at", "closed_at", "merged_into", "version", "erased_at",
    ),
    "case_consultations": (
        "consultation_id", "case_id", "reference", "reporter_id", "reporter_role", "channel", "school_district",
        "categories", "urgency", "consent", "legal_ground", "person", "household", "noticed", "how", "received_at",
    ),
    "referrals": (
        "id", "case_id", "agency_id", "purpose", "shared_fields", "urgency", "status", "status_event_id",
        "requested_by", "requested_at", "received_at", "acknowledged_at", "accepted_at", "declined_at",
        "decline_reason", "needs_attention", "last_followup", "updated_at",
    ),
}  # fmt: skip


async def load(database_url: str, rows: dict[str, list[tuple[Any, ...]]]) -> float:
    import asyncpg

    started = time.perf_counter()
    connection = await asyncpg.connect(database_url)
    try:
        for table, records in rows.items():
            await connection.copy_records_to_table(
                table, records=records, columns=list(COLUMNS[table]), schema_name="case"
            )
        await connection.execute('ANALYZE "case".cases, "case".case_consultations, "case".referrals')
    finally:
        await connection.close()
    return time.perf_counter() - started


@contextlib.asynccontextmanager
async def case_service(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The case service in this event loop, as ``tsunagi serve case`` runs it."""
    from services.case.bootstrap import build_app

    app = build_app(settings)
    async with app.router.lifespan_context(app):
        await asyncio.wait_for(app.state.services.runtime.messaging_started.wait(), timeout=30)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://case.bench", timeout=120) as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


async def health_while(
    client: httpx.AsyncClient, stop: asyncio.Event, seen: list[float], during: dict[str, Any] | None = None
) -> None:
    """``/health`` every 10 ms until ``stop``; ``during["now"]``: the figure being read,
    whose slowest ``/health`` answer is kept in ``during[name]``."""
    while not stop.is_set():
        started = time.perf_counter()
        answer = await client.get("/health")
        elapsed = time.perf_counter() - started
        seen.append(elapsed)
        if during is not None and during.get("now"):
            during[during["now"]] = max(during.get(during["now"], 0.0), elapsed)
        assert answer.status_code == 200, answer.text
        await asyncio.sleep(0.01)


async def read_figures(client: httpx.AsyncClient, callers: dict[str, dict], repeat: int) -> dict[str, Any]:
    """Each figure ``repeat`` times (after one unmeasured read), /health polled meanwhile."""
    timings: dict[str, list[float]] = {}
    health: list[float] = []
    during: dict[str, Any] = {}
    stop = asyncio.Event()
    poller = asyncio.create_task(health_while(client, stop, health, during))
    try:
        for who, headers in callers.items():
            for params in PERIODS:
                for form in ("json", "csv"):
                    name = f"{who} {params.get('period', 'all-time')} {form}"
                    query = {**params, **({"format": "csv"} if form == "csv" else {})}
                    during["now"] = name
                    for attempt in range(repeat + 1):
                        started = time.perf_counter()
                        answer = await client.get("/v1/figures", headers=headers, params=query)
                        elapsed = time.perf_counter() - started
                        assert answer.status_code == 200, answer.text[:300]
                        if attempt:
                            timings.setdefault(name, []).append(elapsed)
    finally:
        stop.set()
        await poller
    every = [t for series in timings.values() for t in series]
    return {
        "figures": {
            name: {**latency_summary(series), "health_max_ms": round(during.get(name, 0.0) * 1000, 1)}
            for name, series in timings.items()
        },
        "all_figures": latency_summary(every),
        "health_during": latency_summary(health),
    }


async def forget(engine: Any) -> None:
    async with engine.begin() as db:
        for table in (figure_counts, figure_durations, figure_months):
            await db.execute(delete(table))


async def run(args: argparse.Namespace) -> dict[str, Any]:
    admin = os.environ.get("TSUNAGI_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    with tempfile.TemporaryDirectory() as scratch, private_redis(Path(scratch)) as (redis_url, _):
        async with scratch_postgres(admin) as database_url:
            settings = Settings(
                mode="test", data_dir=Path(scratch) / "data", redis_url=redis_url, database_url=database_url,
                log_json=False, retention_interval_s=0,
            )  # fmt: skip
            await migrate(settings, "case")
            now = utcnow()
            started = time.perf_counter()
            rows = generate(args.n, now, load_reference_data(settings.reference_dir))
            generated = time.perf_counter() - started
            loaded = await load(database_url, rows)
            callers = {
                "supervisor": {"authorization": f"Bearer {issue_token(settings, role='supervisor', scope='city')}"},
                "coordinator": {"authorization": f"Bearer {issue_token(settings, role='coordinator', scope='中部')}"},
            }
            async with case_service(settings) as client:
                engine = client.app.state.services.runtime.engine  # type: ignore[attr-defined]
                idle: list[float] = []
                stop = asyncio.Event()
                poller = asyncio.create_task(health_while(client, stop, idle))
                await asyncio.sleep(2)
                stop.set()
                await poller
                await forget(engine)
                live = await read_figures(client, callers, args.repeat)
                started = time.perf_counter()
                months = await rebuild(engine, utcnow())
                rebuilt = time.perf_counter() - started
                projected = await read_figures(client, callers, args.repeat)
                rss = rss_mb(os.getpid())
    return {
        "database": "postgresql",
        "cases": args.n,
        "consultations": len(rows["case_consultations"]),
        "referrals": len(rows["referrals"]),
        "generate_s": round(generated, 1),
        "copy_s": round(loaded, 1),
        "repeat": args.repeat,
        "health_idle": latency_summary(idle),
        "live": live,
        "rebuild": {"months": len(months), "seconds": round(rebuilt, 2)},
        "projected": projected,
        "projected_over_live_p95": {
            name: ratio(projected["figures"][name]["p95_ms"], live["figures"][name]["p95_ms"])
            for name in live["figures"]
        },
        "process_rss_mb": rss,
    }


def markdown(results: dict[str, Any]) -> str:
    lines = [
        f"Figures at {results['cases']:,} cases ({results['consultations']:,} consultations, "
        f"{results['referrals']:,} referrals), PostgreSQL, {results['repeat']} reads each; "
        f"rebuild of {results['rebuild']['months']} closed months: {results['rebuild']['seconds']} s.",
        "",
        "| figure | live p50 / p95 ms | projected p50 / p95 ms | projected ÷ live (p95) "
        "| `/health` max ms (live / projected) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, live in results["live"]["figures"].items():
        kept = results["projected"]["figures"][name]
        lines.append(
            f"| {name} | {live['p50_ms']} / {live['p95_ms']} | {kept['p50_ms']} / {kept['p95_ms']} "
            f"| {results['projected_over_live_p95'][name]} | {live['health_max_ms']} / {kept['health_max_ms']} |"
        )
    for which in ("live", "projected"):
        every, health = results[which]["all_figures"], results[which]["health_during"]
        lines.append(
            f"\n{which}: every figure p95 {every['p95_ms']} ms (max {every['max_ms']}); `/health` meanwhile "
            f"p95 {health['p95_ms']} ms, max {health['max_ms']} ms (idle: p95 {results['health_idle']['p95_ms']} ms, "
            f"max {results['health_idle']['max_ms']} ms)."
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000, help="cases to load (default 100,000)")
    parser.add_argument("--repeat", type=int, default=5, help="measured reads of each figure (default 5)")
    args = parser.parse_args()
    results = asyncio.run(run(args))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "figures-postgresql.json").write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    (RESULTS / "figures-postgresql.md").write_text(markdown(results))
    print(markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
