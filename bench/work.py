"""The work a run did, counted after it from the databases and Redis themselves, so
Tsunagi and the equivalent-work floor (``bench/floor``) can be shown side by side:

- rows per table (every service's tables, the audit ones included), before and after;
- stream entries added per stream (``XINFO STREAM``'s ``entries-added``: trimming does
  not hide any);
- transactions committed: PostgreSQL's own counter for the database
  (``pg_stat_database.xact_commit``, read-only ones included); SQLite keeps none, so
  there the figure is left out."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import redis

from bench.watch import STREAMS
from shared.settings import SERVICES

IGNORED = {"alembic_version", "sqlite_sequence"}


@dataclass
class Where:
    """A system's storage: ``database_url`` (PostgreSQL, a schema per service) or a folder
    of SQLite files named ``<service>.db``."""

    redis_url: str
    database_url: str | None = None
    sqlite_folder: Path | None = None


def _sqlite_rows(folder: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for service in SERVICES:
        path = folder / f"{service}.db"
        if not path.exists():
            continue
        with sqlite3.connect(path) as db:
            names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            for name in names:
                if name not in IGNORED:
                    counts[f"{service}.{name}"] = db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
    return counts


async def _postgres_rows(url: str) -> tuple[dict[str, int], int]:
    import asyncpg

    db = await asyncpg.connect(url)
    try:
        tables = await db.fetch(
            "SELECT schemaname, tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        )
        counts = {}
        for row in tables:
            if row["tablename"] in IGNORED:
                continue
            schema = row["schemaname"]
            service = schema.removesuffix("_audit")
            label = f"{service}.{row['tablename']}"
            counts[label] = await db.fetchval(f'SELECT count(*) FROM "{schema}"."{row["tablename"]}"')
        committed = await db.fetchval("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
        return counts, int(committed)
    finally:
        await db.close()


def _streams(redis_url: str, streams: tuple[str, ...]) -> dict[str, int]:
    added = {}
    with redis.Redis.from_url(redis_url) as client:
        for stream in streams:
            if client.exists(stream):
                added[stream] = int(client.xinfo_stream(stream)["entries-added"])
            else:
                added[stream] = 0
    return added


async def snapshot(where: Where, streams: tuple[str, ...] = STREAMS) -> dict:
    if where.database_url:
        rows, committed = await _postgres_rows(where.database_url)
    else:
        assert where.sqlite_folder is not None
        rows, committed = _sqlite_rows(where.sqlite_folder), None
    return {"rows": rows, "streams": _streams(where.redis_url, streams), "transactions": committed}


def difference(before: dict, after: dict, per: int) -> dict:
    """What the run added, in total and per consultation (``per``), tables that grew only."""

    def delta(key: str) -> dict[str, int]:
        grown = {k: v - before[key].get(k, 0) for k, v in after[key].items()}
        return {k: v for k, v in sorted(grown.items()) if v}

    rows, streams = delta("rows"), delta("streams")
    transactions = None
    if after["transactions"] is not None and before["transactions"] is not None:
        transactions = after["transactions"] - before["transactions"]
    return {
        "consultations": per,
        "rows": rows,
        "stream_entries": streams,
        "rows_total": sum(rows.values()),
        "stream_entries_total": sum(streams.values()),
        "transactions": transactions,
        "rows_per_consultation": round(sum(rows.values()) / per, 2) if per else None,
        "stream_entries_per_consultation": round(sum(streams.values()) / per, 2) if per else None,
        "transactions_per_consultation": round(transactions / per, 2) if per and transactions is not None else None,
    }
