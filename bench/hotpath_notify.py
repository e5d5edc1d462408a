"""The notify service's hot path in-process: ``case.opened`` entries (shaped like the
whole-system benchmark's: every school district, one in twenty urgent, ten reporters)
applied straight through its ``StreamConsumer`` (no HTTP, no Redis round trip), as
``bench/hotpath.py`` does for the case service.

    python -m bench.hotpath_notify [--n 2000] [--batch 100] [--database sqlite|postgresql]
                                   [--linked 0.0]

Prints events/s, wall and CPU µs (this process; on PostgreSQL the server's CPU is not
in it) and SQL statements per event for batches of ``--batch`` entries and of one.
``--linked`` mixes in that share of ``case.consultation_linked`` entries (about cases
opened earlier in the run)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import sys
import tempfile
from pathlib import Path

from bench.hotpath import encode, measure
from bench.system import scratch_postgres, settings_from
from bench.workload import DISTRICTS, REPORTERS, URGENCIES
from shared.db.migrate import migrate
from shared.events import SYSTEM, CaseOpened, ConsultationLinked, Envelope, new_event_id
from shared.logging import configure_logging

STREAM = "tsunagi.case"


def opened(reference, i: int) -> Envelope:
    case_id = new_event_id()
    payload = CaseOpened(
        case_id=case_id,
        case_number=f"C-{i:06d}",
        area=reference.area_of_district(DISTRICTS[i % len(DISTRICTS)]),
        consultation_id=new_event_id(),
        reference=f"R-{i:06d}",
        reporter_id=f"bench-vol-{i % REPORTERS}",
        urgency=URGENCIES[i % len(URGENCIES)],
        categories=["孤立"],
    )
    return Envelope.wrap(payload, aggregate_id=case_id, actor=SYSTEM, correlation_id=f"corr-{i}", case_id=case_id)


def linked(case_id: str, i: int) -> Envelope:
    payload = ConsultationLinked(
        case_id=case_id,
        consultation_id=new_event_id(),
        reference=f"R-{i:06d}",
        reporter_id=f"bench-vol-{(i * 7) % REPORTERS}",
        reason="同一人物",
    )
    return Envelope.wrap(payload, aggregate_id=case_id, actor=SYSTEM, correlation_id=f"corr-{i}", case_id=case_id)


async def run_notify(env: dict[str, str], n: int, batch: int, linked_share: float) -> dict[str, float]:
    from services.notify.bootstrap import build_app

    settings = settings_from(env)
    await migrate(settings, "notify")
    app = build_app(settings)
    services = app.state.services
    runtime = services.runtime
    reference = services.context.reference
    rng = random.Random(7)
    envelopes: list[Envelope] = []
    case_ids: list[str] = []
    for i in range(n + 20):
        if case_ids and rng.random() < linked_share:
            envelopes.append(linked(rng.choice(case_ids), i))
        else:
            envelopes.append(opened(reference, i))
            case_ids.append(envelopes[-1].aggregate_id)
    entries = [await encode(e, i) for i, e in enumerate(envelopes)]
    return await measure(runtime, STREAM, entries, batch)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--linked", type=float, default=0.0)
    args = parser.parse_args()
    async with contextlib.AsyncExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tsunagi-hotpath-notify-")))
        # Logs as the service writes them (JSON lines, INFO) into a file, as under ``make bench``.
        log_file = stack.enter_context((folder / "notify.log").open("w", encoding="utf-8"))
        out = sys.stdout
        stack.enter_context(contextlib.redirect_stdout(log_file))
        configure_logging("notify", "INFO", json=True)
        env = {
            "TSUNAGI_MODE": "embedded",
            "TSUNAGI_DATA_DIR": str(folder),
            "TSUNAGI_REDIS_URL": "redis://127.0.0.1:1/0",
        }
        if args.database == "postgresql":
            admin = os.environ.get("TSUNAGI_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
            env["TSUNAGI_DATABASE_URL"] = await stack.enter_async_context(scratch_postgres(admin))
        for batch in (args.batch, 1):
            got = await run_notify(env, args.n if batch > 1 else max(args.n // 4, 50), batch, args.linked)
            print(
                f"notify    batch {batch:<4}      {got['events_per_s']:8.0f} ev/s  {got['us_per_event']:7.0f} µs/ev"
                f"  {got['cpu_us_per_event']:7.0f} CPU µs/ev  {got['statements_per_event']:5.2f} statements/ev",
                file=out,
                flush=True,
            )


if __name__ == "__main__":
    asyncio.run(main())
