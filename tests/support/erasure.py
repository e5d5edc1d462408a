"""What the messaging keeps of a case, for the retention tests: its events in each
service's outbox, their entries in the streams, a dead letter of one of them (and the
record of an earlier resolution of it), and ``tsunagi check``'s report, gathered in
this process."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis
from sqlalchemy import delete, select

from shared.db.engine import make_engine
from shared.events import EVENT_TYPES, FAMILIES, stream_for
from shared.events.personal import erase_payload, personal_fields
from shared.messaging.catalog import load_service
from shared.messaging.consistency import gather
from shared.messaging.consistency_report import Report
from shared.messaging.deadletter import RESOLVED_STREAM, DeadLetter, dead_letter_entry, resolve
from shared.messaging.streams import dead_letter_stream, entries_of, event_id_of
from shared.settings import Settings


async def outbox_rows(settings: Settings, service: str, aggregate_ids: set[str]) -> list[dict[str, Any]]:
    """The service's outbox rows of those aggregates whose event has personal fields."""
    parts, why = load_service(service, settings)
    assert parts is not None, why
    outbox = parts.tables.outbox
    engine = make_engine(settings, service, pool_size=1)
    try:
        async with engine.connect() as db:
            rows = (await db.execute(select(outbox).where(outbox.c.aggregate_id.in_(aggregate_ids)))).mappings()
            return [dict(r) for r in rows if personal_fields(EVENT_TYPES[r["event_type"]])]
    finally:
        await engine.dispose()


def erased(row: dict[str, Any]) -> bool:
    """Marked erased, and not one personal field left in the row's payload."""
    payload = row["envelope"]["payload"]
    return row["erased_at"] is not None and erase_payload(EVENT_TYPES[row["event_type"]], payload) == payload


async def event_ids_in_streams(redis: Redis) -> set[str]:
    found: set[str] = set()
    for family in FAMILIES:
        for _entry_id, fields in entries_of(await redis.xrange(stream_for(family))):
            found.add(event_id_of(fields) or "")
    return found


async def dead_letter_in(redis: Redis, service: str, event_type: str, event_id: str) -> None:
    """``service`` failed the event's entry: once resolved (discarded) by an operator,
    then dead-lettered again; its inbox has no row of it."""
    stream = stream_for(event_type)
    # The first copy: the relay may have published it twice (at least once).
    entry_id, fields = next(e for e in entries_of(await redis.xrange(stream)) if event_id_of(e[1]) == event_id)
    letter = dead_letter_entry(
        service=service, stream=stream, message_id=entry_id, fields=fields, attempts=5, error="ValueError: test"
    )
    first = (await redis.xadd(dead_letter_stream(service), letter)).decode()  # type: ignore[arg-type]
    text = {k.decode(): v.decode() for k, v in letter.items()}
    assert await resolve(redis, DeadLetter(service, first, text), outcome="discarded", by="operator")
    await redis.xadd(dead_letter_stream(service), letter)  # type: ignore[arg-type]


async def resolved_records(redis: Redis, service: str) -> list[dict[bytes, bytes]]:
    return [f for _i, f in entries_of(await redis.xrange(RESOLVED_STREAM)) if f.get(b"service") == service.encode()]


async def forget_applied(settings: Settings, service: str, event_id: str) -> None:
    """The service's inbox row of the event removed (as if it had never applied it)."""
    parts, why = load_service(service, settings)
    assert parts is not None, why
    engine = make_engine(settings, service, pool_size=1)
    try:
        async with engine.begin() as db:
            await db.execute(delete(parts.tables.inbox).where(parts.tables.inbox.c.event_id == event_id))
    finally:
        await engine.dispose()


async def check(settings: Settings, redis: Redis) -> Report:
    """``tsunagi check``'s report on the four services."""
    return await gather(settings, redis, ("intake", "case", "referral", "notify"))
