"""The raw baseline's consumer, run as its own process (as each service is): redis-py
XREADGROUP in a consumer group, one INSERT per message in its own transaction on the
same driver Tsunagi uses (aiosqlite, or
asyncpg), XACK after the commits. Nothing else:
no HTTP, no outbox, no inbox, no logging, no validation. Exits after ``--n`` messages
and writes each message's commit time to ``--out``."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from pathlib import Path

from redis.asyncio import Redis

from bench.procs import cpu_seconds, peak_rss_mb

CREATE = "CREATE TABLE IF NOT EXISTS {table} (id TEXT PRIMARY KEY, reference TEXT NOT NULL, payload TEXT NOT NULL)"


class SqliteStore:
    def __init__(self, path: str, table: str) -> None:
        self.path, self.table = path, table

    async def open(self) -> None:
        import aiosqlite

        # The connection and pragmas of Tsunagi's SQLite engine (shared/db/engine.py).
        self.db = await aiosqlite.connect(self.path, timeout=30, isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL"):
            await self.db.execute(f"PRAGMA {pragma}")
        await self.db.execute(CREATE.format(table=self.table))

    async def insert(self, message_id: str, reference: str, payload: str) -> None:
        await self.db.execute("BEGIN IMMEDIATE")
        await self.db.execute(f"INSERT INTO {self.table} VALUES (?, ?, ?)", (message_id, reference, payload))
        await self.db.execute("COMMIT")

    async def close(self) -> None:
        await self.db.close()


class PostgresStore:
    def __init__(self, url: str, table: str) -> None:
        self.url, self.table = url, table

    async def open(self) -> None:
        import asyncpg

        self.db = await asyncpg.connect(self.url)
        await self.db.execute(CREATE.format(table=self.table))

    async def insert(self, message_id: str, reference: str, payload: str) -> None:
        # One statement outside a transaction block: its own transaction, committed on return.
        await self.db.execute(f"INSERT INTO {self.table} VALUES ($1, $2, $3)", message_id, reference, payload)

    async def close(self) -> None:
        await self.db.close()


async def consume(args: argparse.Namespace) -> None:
    store = PostgresStore(args.db, args.table) if args.db.startswith("postgresql") else SqliteStore(args.db, args.table)
    await store.open()
    redis = Redis.from_url(args.redis)
    committed: dict[str, float] = {}
    print("ready", flush=True)
    cpu_start = cpu_seconds(os.getpid())
    while len(committed) < args.n:
        reply = await redis.xreadgroup(args.group, "baseline-1", {args.stream: ">"}, count=100, block=100)
        for _stream, entries in reply or []:
            done = []
            for message_id, fields in entries:
                body = json.loads(fields[b"data"])
                await store.insert(message_id.decode(), body["reference"], fields[b"data"].decode())
                committed[message_id.decode()] = time.time()
                done.append(message_id)
            if done:
                await redis.xack(args.stream, args.group, *done)
    cpu = cpu_seconds(os.getpid())
    Path(args.out).write_text(
        json.dumps(
            {
                "committed": committed,
                "peak_rss_mb": peak_rss_mb(os.getpid()),
                "cpu_s": round(cpu - cpu_start, 3) if cpu is not None and cpu_start is not None else None,
            }
        )
    )
    await redis.aclose()
    await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    for name in ("redis", "db", "stream", "group", "table", "out"):
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--n", type=int, required=True)
    asyncio.run(consume(parser.parse_args()))


if __name__ == "__main__":
    main()
