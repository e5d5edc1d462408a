"""The reads ``tsunagi check`` takes its snapshot with (``consistency.py`` says in
which order): a service's outbox and inbox, a stream's groups and entries."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError
from sqlalchemy import select

from shared.messaging.catalog import ServiceParts
from shared.messaging.consistency_report import OutboxRow
from shared.messaging.streams import entries_of, event_id_of, id_text


async def read_outbox(engine: Any, parts: ServiceParts) -> list[OutboxRow]:
    outbox = parts.tables.outbox
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(
                    outbox.c.event_id,
                    outbox.c.event_type,
                    outbox.c.published_at,
                    outbox.c.envelope,
                    outbox.c.erased_at,
                )
            )
        ).all()
    return [
        OutboxRow(
            r.event_id,
            r.event_type,
            r.published_at is not None,
            (r.envelope or {}).get("causation_id"),
            r.erased_at is not None,
        )
        for r in rows
    ]


async def read_inbox(engine: Any, parts: ServiceParts) -> dict[str, str]:
    inbox = parts.tables.inbox
    async with engine.connect() as conn:
        rows = (await conn.execute(select(inbox.c.event_id, inbox.c.event_type))).all()
    return {r.event_id: r.event_type for r in rows}


async def read_groups(redis: Redis, stream: str) -> dict[str, tuple[str, set[str], int]]:
    """group → (last-delivered id, pending entry ids, consumers)."""
    try:
        groups = await redis.xinfo_groups(stream)
    except ResponseError:
        return {}
    found: dict[str, tuple[str, set[str], int]] = {}
    for g in groups:
        name = g["name"].decode() if isinstance(g["name"], bytes) else g["name"]
        pending: set[str] = set()
        start = "-"
        while int(g["pending"]):
            rows = await redis.xpending_range(stream, name, min=start, max="+", count=1000)
            pending.update(id_text(r["message_id"]) for r in rows)
            if len(rows) < 1000:
                break
            start = "(" + id_text(rows[-1]["message_id"])
        last = g["last-delivered-id"]
        found[name] = (last.decode() if isinstance(last, bytes) else last, pending, int(g["consumers"]))
    return found


async def read_stream(redis: Redis, stream: str) -> dict[str, list[str]]:
    """event id → the entry ids it was published as."""
    entries: dict[str, list[str]] = defaultdict(list)
    start = "-"
    while True:
        rows = entries_of(await redis.xrange(stream, min=start, max="+", count=1000))
        for entry_id, fields in rows:
            event_id = event_id_of(fields)
            if event_id:
                entries[event_id].append(entry_id.decode())
        if len(rows) < 1000:
            return entries
        start = "(" + rows[-1][0].decode()
