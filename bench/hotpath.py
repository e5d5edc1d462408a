"""The case service's hot path in-process: ``consultation.submitted`` entries applied
straight through its ``StreamConsumer`` (no HTTP, no Redis round trip for the read),
next to the raw baseline's work (one INSERT per message, same driver). For iterating
on the consumer and the case handlers; ``make bench`` measures the whole system.

    python -m bench.hotpath [--n 2000] [--batch 100] [--database sqlite|postgresql]

Prints events/s, wall and CPU µs (this process; on PostgreSQL the server's CPU is
not in it) and SQL statements per event for batches of ``--batch`` entries
(and of one entry), and the baseline's events/s in the same run."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from faststream.redis.parser.binary import BinaryMessageFormatV1
from sqlalchemy import event, text

from bench.system import scratch_postgres, settings_from
from bench.workload import consultations
from shared.db.migrate import migrate
from shared.events import Actor, ConsultationSubmitted, Envelope
from shared.messaging.streams import DATA_FIELD, headers_of

STREAM = "tsunagi.consultation"


async def encode(envelope: Envelope, i: int) -> tuple[bytes, dict[bytes, bytes]]:
    """A stream entry as the relay writes it (FastStream's binary format), id ``i-0``."""
    raw = await BinaryMessageFormatV1.encode(
        message=envelope.model_dump_json().encode(),
        reply_to=None,
        headers=headers_of(envelope),
        correlation_id=envelope.correlation_id,
    )
    return f"{i}-0".encode(), {DATA_FIELD: raw}


async def entry_of(body: dict, i: int) -> tuple[bytes, dict[bytes, bytes]]:
    tag = uuid.uuid4().hex[:8]
    payload = ConsultationSubmitted(
        consultation_id=f"c-{tag}-{i}",
        reference=f"R-{tag}-{i}",
        reporter_id="bench-vol",
        reporter_role="volunteer",
        channel="visit",
        **{
            k: body[k]
            for k in ("school_district", "categories", "urgency", "consent", "person", "household", "noticed", "sample")
        },
    )
    envelope = Envelope.wrap(
        payload,
        aggregate_id=payload.consultation_id,
        actor=Actor(role="reporter", id="bench-vol"),
        correlation_id=f"corr-{i}",
    )
    return await encode(envelope, i)


async def measure(
    runtime: Any, stream: str, entries: list[tuple[bytes, dict[bytes, bytes]]], batch: int, warm_up: int = 20
) -> dict[str, float]:
    """Feeds ``entries`` to the runtime's consumer ``batch`` at a time (the first
    ``warm_up`` apart: prepared statements, caches); events/s, µs and statements each."""
    statements = 0

    def count(*_args: object) -> None:
        nonlocal statements
        statements += 1

    event.listen(runtime.engine.sync_engine, "before_cursor_execute", count)
    consumer = runtime.consumer
    consumer.redis = NoRedis()
    await consumer.apply_entries(stream, entries[:warm_up])
    statements, n = 0, len(entries) - warm_up
    started, cpu = time.perf_counter(), time.process_time()
    for k in range(warm_up, len(entries), batch):
        await consumer.apply_entries(stream, entries[k : k + batch])
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    await runtime.engine.dispose()
    return {
        "events_per_s": n / elapsed,
        "us_per_event": elapsed / n * 1e6,
        "statements_per_event": statements / n,
        "cpu_us_per_event": cpu / n * 1e6,
    }


async def run_case(env: dict[str, str], n: int, batch: int) -> dict[str, float]:
    from services.case.bootstrap import build_app

    settings = settings_from(env)
    await migrate(settings, "case")
    app = build_app(settings)
    entries = [await entry_of(b, i) for i, b in enumerate(consultations(n + 20))]
    return await measure(app.state.services.runtime, STREAM, entries, batch)


class NoRedis:
    """Acks are not what is measured here."""

    def pipeline(self, **_kw: object) -> NoRedis:
        return self

    async def __aenter__(self) -> NoRedis:
        return self

    async def __aexit__(self, *_a: object) -> None:
        return None

    def __getattr__(self, _name: str) -> Any:
        return lambda *_a, **_kw: _Done()

    async def execute(self) -> list[Any]:
        return []


class _Done:
    def __await__(self) -> Any:
        return iter(())


async def run_baseline(env: dict[str, str], n: int, batch: int) -> dict[str, float]:
    """One INSERT per message in its own transaction (the raw baseline's consumer work)."""
    from shared.db.engine import make_engine

    settings = settings_from(env)
    engine = make_engine(settings, "baseline")
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(text("CREATE SCHEMA IF NOT EXISTS baseline"))
        await conn.execute(text("CREATE TABLE IF NOT EXISTS bench_rows (id TEXT PRIMARY KEY, body TEXT)"))
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(n):
        async with engine.begin() as conn:
            await conn.execute(
                text("INSERT INTO bench_rows (id, body) VALUES (:id, :body)"), {"id": f"r-{i}", "body": "x" * 600}
            )
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    await engine.dispose()
    return {
        "events_per_s": n / elapsed,
        "us_per_event": elapsed / n * 1e6,
        "statements_per_event": 1.0,
        "cpu_us_per_event": cpu / n * 1e6,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    async with contextlib.AsyncExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tsunagi-hotpath-")))
        env = {
            "TSUNAGI_MODE": "embedded",
            "TSUNAGI_DATA_DIR": str(folder),
            "TSUNAGI_REDIS_URL": "redis://127.0.0.1:1/0",
        }
        if args.database == "postgresql":
            admin = os.environ.get("TSUNAGI_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
            env["TSUNAGI_DATABASE_URL"] = await stack.enter_async_context(scratch_postgres(admin))
        base = await run_baseline(env, args.n, 1)
        print(
            f"baseline  1 INSERT/txn    {base['events_per_s']:8.0f} ev/s  {base['us_per_event']:7.0f} µs/ev"
            f"  {base['cpu_us_per_event']:7.0f} CPU µs/ev (this process)"
        )
        for batch in (args.batch, 1):
            got = await run_case(env, args.n if batch > 1 else max(args.n // 4, 50), batch)
            print(
                f"case      batch {batch:<4}      {got['events_per_s']:8.0f} ev/s  {got['us_per_event']:7.0f} µs/ev"
                f"  {got['cpu_us_per_event']:7.0f} CPU µs/ev  {got['statements_per_event']:5.1f} statements/ev"
                f"  ratio {got['events_per_s'] / base['events_per_s']:.3f}"
            )


if __name__ == "__main__":
    asyncio.run(main())
