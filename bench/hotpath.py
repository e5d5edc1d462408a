"""The case service's hot path in-process: ``consultation.submitted`` entries applied
straight through its ``StreamConsumer`` (no HTTP, no Redis round trip for the read),
next to the raw baseline's work (one INSERT per message, same driver). For iterating
on the consumer and the case handlers; ``make bench`` measures the whole system.

    python -m bench.hotpath [--n 2000] [--batch 100] [--database sqlite|postgresql]

Prints events/s, µs and SQL statements per event for batches of ``--batch`` entries
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

from faststream.redis.parser.binary import BinaryMessageFormatV1
from sqlalchemy import event, text

from bench.system import scratch_postgres, settings_from
from bench.workload import consultations
from shared.db.migrate import migrate
from shared.events import Actor, ConsultationSubmitted, Envelope
from shared.messaging.streams import DATA_FIELD, headers_of

STREAM = "tsunagi.consultation"


async def entry_of(body: dict, i: int) -> tuple[bytes, dict[bytes, bytes]]:
    tag = uuid.uuid4().hex[:8]
    payload = ConsultationSubmitted(consultation_id=f"c-{tag}-{i}", reference=f"R-{tag}-{i}", reporter_id="bench-vol",
                                    reporter_role="volunteer", channel="visit", **{
                                        k: body[k] for k in ("school_district", "categories", "urgency", "consent",
                                                             "person", "household", "noticed", "sample")})
    envelope = Envelope.wrap(payload, aggregate_id=payload.consultation_id,
                             actor=Actor(role="reporter", id="bench-vol"), correlation_id=f"corr-{i}")
    raw = await BinaryMessageFormatV1.encode(message=envelope.model_dump_json().encode(), reply_to=None,
                                             headers=headers_of(envelope), correlation_id=envelope.correlation_id)
    return f"{i}-0".encode(), {DATA_FIELD: raw}


async def run_case(env: dict[str, str], n: int, batch: int) -> dict[str, float]:
    from services.case.bootstrap import build_app

    settings = settings_from(env)
    await migrate(settings, "case")
    app = build_app(settings)
    runtime = app.state.services.runtime
    statements = 0

    def count(*_args: object) -> None:
        nonlocal statements
        statements += 1

    event.listen(runtime.engine.sync_engine, "before_cursor_execute", count)
    bodies = consultations(n + 20)
    entries = [await entry_of(b, i) for i, b in enumerate(bodies)]
    consumer = runtime.consumer
    consumer.redis = _NoRedis()  # acks are not what is measured here
    await consumer.apply_entries(STREAM, entries[:20])  # warm-up: prepared statements, caches
    statements = 0
    started = time.perf_counter()
    for k in range(20, n + 20, batch):
        await consumer.apply_entries(STREAM, entries[k:k + batch])
    elapsed = time.perf_counter() - started
    await runtime.engine.dispose()
    return {"events_per_s": n / elapsed, "us_per_event": elapsed / n * 1e6, "statements_per_event": statements / n}


class _NoRedis:
    async def xack(self, *_a: object) -> int:
        return 0

    async def hdel(self, *_a: object) -> int:
        return 0

    async def hset(self, *_a: object) -> int:
        return 0


async def run_baseline(env: dict[str, str], n: int, batch: int) -> dict[str, float]:
    """One INSERT per message in its own transaction (the raw baseline's consumer work)."""
    from shared.db.engine import make_engine

    settings = settings_from(env)
    engine = make_engine(settings, "baseline")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE IF NOT EXISTS bench_rows (id TEXT PRIMARY KEY, body TEXT)"))
    started = time.perf_counter()
    for i in range(n):
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO bench_rows (id, body) VALUES (:id, :body)"),
                               {"id": f"r-{i}", "body": "x" * 600})
    elapsed = time.perf_counter() - started
    await engine.dispose()
    return {"events_per_s": n / elapsed, "us_per_event": elapsed / n * 1e6, "statements_per_event": 1.0}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    async with contextlib.AsyncExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tsunagi-hotpath-")))
        env = {"TSUNAGI_MODE": "embedded", "TSUNAGI_DATA_DIR": str(folder),
               "TSUNAGI_REDIS_URL": "redis://127.0.0.1:1/0"}
        if args.database == "postgresql":
            admin = os.environ.get("TSUNAGI_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
            env["TSUNAGI_DATABASE_URL"] = await stack.enter_async_context(scratch_postgres(admin))
        base = await run_baseline(env, args.n, 1)
        print(f"baseline  1 INSERT/txn    {base['events_per_s']:8.0f} ev/s  {base['us_per_event']:7.0f} µs/ev")
        for batch in (args.batch, 1):
            got = await run_case(env, args.n if batch > 1 else max(args.n // 4, 50), batch)
            print(f"case      batch {batch:<4}      {got['events_per_s']:8.0f} ev/s  {got['us_per_event']:7.0f} µs/ev"
                  f"  {got['statements_per_event']:5.1f} statements/ev"
                  f"  ratio {got['events_per_s'] / base['events_per_s']:.3f}")


if __name__ == "__main__":
    asyncio.run(main())
