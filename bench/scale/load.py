"""Loads the scale dataset into a PostgreSQL database of its own, one schema per service
as ``tsunagi up`` lays them out (the services' migrations first), with COPY; caches it as
a ``pg_dump -Fc`` keyed by a hash of this generator, so a rerun restores it in seconds.
The rows are written at the migrations in ``GENERATED_AT``; after a restore the services
are upgraded to head as production would be, so a new migration does not regenerate.

    python -m bench.scale.load [--cases 100000] [--fresh]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import subprocess
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pydantic_core
from sqlalchemy.engine import make_url

from bench.scale.story import Story, Teller
from services.case.adapters.timeline import timeline_row
from services.case.domain.chain import GENESIS, link
from services.case.domain.matching import MatchKeys
from services.case.entrypoints.cli import rebuild_figures
from shared.db.engine import make_engine
from shared.db.migrate import upgrade
from shared.reference import load_reference_data
from shared.settings import SERVICES, Settings

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
FULL_SIZE = 100_000
CACHE = Path(__file__).resolve().parents[1] / ".cache"
# The services and the generator share these keys (the chain verifies with the same one).
TIMELINE_KEY = "bench-scale-timeline-key-not-for-production-000000"
LONG_CASE_ENTRIES = 3000
CHUNK = 2000
# The schema the generator's rows fit; later migrations run on top (and backfill).
GENERATED_AT = {
    "console": "28e407d4f6d8",
    "intake": "8d2cfbf943f8",
    "case": "b6d1f0c3a8e2",
    "referral": "946362209763",
    "notify": "f2c6a9d1e847",
}


def database_name(cases: int) -> str:
    """The full dataset in ``tsunagi_scale`` (or ``TSUNAGI_SCALE_DATABASE``, so two sessions
    on one server keep theirs apart); a smaller one (a trial run) beside it."""
    name = os.environ.get("TSUNAGI_SCALE_DATABASE") or "tsunagi_scale"
    return name if cases == FULL_SIZE else f"{name}_{cases}"


def database_url(cases: int = FULL_SIZE, admin_url: str = ADMIN_URL) -> str:
    return make_url(admin_url).set(database=database_name(cases)).render_as_string(hide_password=False)


def cache_key(cases: int) -> str:
    """Changes when the generator (its ``GENERATED_AT`` too) or the size changes."""
    digest = hashlib.sha256(str(cases).encode())
    files = [Path(__file__).with_name(f) for f in ("load.py", "story.py", "people.py", "referral.py")]
    for path in files:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


async def _recreate(name: str) -> None:
    admin = await asyncpg.connect(ADMIN_URL)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


class Copier:
    """COPY of row dicts into ``schema.table``, JSON columns encoded as the services do."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.json_columns: dict[tuple[str, str], set[str]] = {}

    async def copy(self, schema: str, table: str, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        if (schema, table) not in self.json_columns:
            found = await self.conn.fetch(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema=$1 AND table_name=$2 AND data_type IN ('json','jsonb')",
                schema,
                table,
            )
            self.json_columns[(schema, table)] = {r["column_name"] for r in found}
        columns = list(rows[0])
        json_columns = self.json_columns[(schema, table)]
        records = [
            tuple(pydantic_core.to_json(row[c]).decode() if c in json_columns else row[c] for c in columns)
            for row in rows
        ]
        await self.conn.copy_records_to_table(table, records=records, columns=columns, schema_name=schema)


def chain_rows(story: Story, key: bytes, recorded_at: datetime) -> tuple[list[dict], dict]:
    """The case's timeline as ``TimelineChain.append`` writes it, and its last checkpoint."""
    rows, previous = [], GENESIS
    for seq, envelope in enumerate(story.events, start=1):
        row = timeline_row(envelope, story.case_id, max(recorded_at, envelope.occurred_at))
        row["seq"] = seq
        row["chain_hmac"] = previous = link(key, story.case_id, seq, previous, row["content_hash"])
        row["erased_at"] = None
        rows.append(row)
    checkpoint = {
        "case_id": story.case_id,
        "seq": len(rows),
        "chain_hmac": previous,
        "recorded_at": rows[-1]["recorded_at"],
    }
    return rows, checkpoint


async def generate(settings: Settings, cases: int) -> None:
    reference = load_reference_data(settings.reference_dir)
    teller = Teller(reference, MatchKeys(settings.match_key.get_secret_value().encode()), datetime.now(UTC))
    key = TIMELINE_KEY.encode()
    conn = await asyncpg.connect(database_url(cases))
    copier = Copier(conn)
    started = time.perf_counter()
    try:
        for first in range(0, cases, CHUNK):
            batch: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
            for i in range(first, min(cases, first + CHUNK)):
                story = teller.case(extra_entries=LONG_CASE_ENTRIES if i == 0 else 0)
                for where, rows in story.rows.items():
                    batch[where].extend(rows)
                entries, checkpoint = chain_rows(story, key, story.events[0].occurred_at)
                batch[("case", "timeline")].extend(entries)
                batch[("case_audit", "timeline_checkpoints")].append(checkpoint)
            async with conn.transaction():
                for (schema, table), rows in batch.items():
                    await copier.copy(schema, table, rows)
            done = min(cases, first + CHUNK)
            print(f"  {done:,} cases ({time.perf_counter() - started:.0f} s)", flush=True)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


def scale_settings(data_dir: Path, cases: int) -> Settings:
    return Settings(
        mode="embedded",
        database_url=database_url(cases),
        data_dir=data_dir,
        timeline_key=TIMELINE_KEY,  # type: ignore[arg-type]
    )


async def ensure_dataset(cases: int, data_dir: Path, *, fresh: bool = False) -> float:
    """The dataset in ``tsunagi_scale``: restored from the cache, or generated and cached.
    Returns the seconds it took."""
    started = time.perf_counter()
    dump = CACHE / f"scale-{cases}-{cache_key(cases)}.dump"
    await _recreate(database_name(cases))
    settings = scale_settings(data_dir, cases)
    if dump.exists() and not fresh:
        print(f"restoring {dump.name}", flush=True)
        subprocess.run(["pg_restore", "-j", "2", "--no-owner", "-d", database_url(cases), str(dump)], check=True)
    else:
        for service in SERVICES:
            await upgrade_to(settings, service, GENERATED_AT[service])
        print(f"generating {cases:,} cases", flush=True)
        await generate(settings, cases)
        CACHE.mkdir(exist_ok=True)
        for stale in CACHE.glob(f"scale-{cases}-*.dump"):
            stale.unlink()
        subprocess.run(["pg_dump", "-Fc", "-Z", "1", "-f", str(dump), database_url(cases)], check=True)
    for service in SERVICES:
        await upgrade_to(settings, service, "head")
    # As an operator does after migrating: closed months' figures from the event history,
    # so the figures read the projection and only the current month live.
    rebuilt = await rebuild_figures(settings)
    print(f"figures kept for {len(rebuilt['months'])} closed months ({rebuilt['seconds']} s)", flush=True)
    subprocess.run(["psql", database_url(cases), "-qc", "ANALYZE"], check=True)
    return time.perf_counter() - started


async def upgrade_to(settings: Settings, service: str, revision: str) -> None:
    engine = make_engine(settings, service)
    try:
        await upgrade(engine, service, revision, settings=settings)
    finally:
        await engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--fresh", action="store_true", help="generate even if a cached dump exists")
    args = parser.parse_args()
    took = asyncio.run(ensure_dataset(args.cases, CACHE / "data", fresh=args.fresh))
    print(f"dataset ready in {took:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
