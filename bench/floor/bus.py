"""The floor's messaging: events into the outbox with the state change (their personal
fields sealed), a relay that marks a batch, XADDs it in one pipeline and commits, and a
consumer that reads a stream in its group 100 entries at a time, applies the batch in
one transaction with its inbox rows, and acks after the commit. The same steps as
Tsunagi's kernel, without FastStream, SQLAlchemy, leases, retries, logging or tracing."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pydantic_core
from redis.asyncio import Redis

from bench.floor.db import Db
from shared.db.tables import MessagingTables
from shared.events import EVENT_TYPES, Envelope, stream_for
from shared.events.personal import Sealer, personal_fields, seal_payload
from shared.messaging.streams import DATA_FIELD, decode_entry

BATCH = 100
Handler = Callable[[Db, list[Envelope]], Awaitable[None]]


async def add_outbox(db: Db, tables: MessagingTables, keys: Sealer, events: list[Envelope], now: Any) -> None:
    rows = []
    for e in events:
        envelope = e.model_dump(mode="json")
        model = EVENT_TYPES[e.type]
        if personal_fields(model):
            envelope["payload"] = seal_payload(model, envelope["payload"], keys)
        rows.append(
            {
                "event_id": e.event_id,
                "event_type": e.type,
                "stream": stream_for(e.type),
                "aggregate_id": e.aggregate_id,
                "envelope": envelope,
                "created_at": now,
                "attempts": 0,
            }
        )
    await db.insert(tables.outbox, rows)


async def relay(db: Db, lock: asyncio.Lock, redis: Redis, signal: asyncio.Event, clock: Any) -> None:
    """Publishes committed outbox rows in id order; wakes on ``signal`` or every 0.5 s."""
    while True:
        signal.clear()
        while True:
            async with lock:
                await db.begin()
                rows = await db.fetch(
                    "UPDATE outbox SET published_at = ? WHERE id IN (SELECT id FROM outbox WHERE published_at IS NULL"
                    " ORDER BY id LIMIT 200) AND published_at IS NULL RETURNING id, stream, envelope",
                    db.value(clock.now()),
                )
                if rows:
                    async with redis.pipeline(transaction=False) as pipe:
                        for _id, stream, envelope in sorted(rows):
                            body = envelope if isinstance(envelope, str) else pydantic_core.to_json(envelope).decode()
                            pipe.xadd(stream, {DATA_FIELD: body.encode()})
                        await pipe.execute()
                await db.commit()
            if len(rows) < 200:
                break
        try:
            await asyncio.wait_for(signal.wait(), timeout=0.5)
        except TimeoutError:
            pass


async def consume(
    db: Db,
    redis: Redis,
    tables: MessagingTables,
    keys: Sealer,
    stream: str,
    group: str,
    handlers: dict[str, Handler],
    clock: Any,
    lock: asyncio.Lock,
    signal: asyncio.Event,
    linger_s: float = 0.0,
) -> None:
    """Applies ``stream``'s entries with ``handlers`` (by event type; others only acked)."""
    try:
        await redis.xgroup_create(stream, group, id="0", mkstream=True)
    except Exception as exc:  # BUSYGROUP: made by a run before
        if "BUSYGROUP" not in str(exc):
            raise
    while True:
        reply = await redis.xreadgroup(group, f"{group}-floor", {stream: ">"}, count=BATCH, block=1000)
        for _stream, entries in reply or []:
            envelopes = [decode_entry(fields, keys) for _id, fields in entries]
            todo = [e for e in envelopes if e.type in handlers]
            if todo:
                async with lock:
                    await db.begin()
                    now = clock.now()
                    inbox = [
                        {"event_id": e.event_id, "event_type": e.type, "stream": stream, "applied_at": now}
                        for e in todo
                    ]
                    new = {
                        r[0] for r in await db.insert(tables.inbox, inbox, "ON CONFLICT DO NOTHING RETURNING event_id")
                    }
                    todo = [e for e in todo if e.event_id in new]
                    for event_type in dict.fromkeys(e.type for e in todo):
                        await handlers[event_type](db, [e for e in todo if e.type == event_type])
                    await db.commit()
                signal.set()
            await redis.xack(stream, group, *[message_id for message_id, _f in entries])
            if linger_s and len(entries) < BATCH:
                await asyncio.sleep(linger_s)
