"""Retention's erasure where the messaging keeps a case's events: the outbox (kept
forever), the Redis streams and the dead letters. Every service that applies
``case.retention_erased`` runs it after its own tables (``with_message_erasure``, wired
by the runtime); the case service runs it as it erases (services/case/handlers/retention.py).

* **Outbox**: the rows of the case's aggregates (the cases, their consultations and
  referrals) whose event has personal fields keep their ids, type and causes but lose
  those fields (``erase_payload``), and are marked ``erased_at`` — ``tsunagi check``
  then counts an event no one applied as erased, not lost. A row the relay had not
  published yet is marked published: it is never sent.
* **Streams**: the entries of those events are deleted (XDEL). Why not crypto-shredding:
  the key ring has one key for every case, so nothing short of a per-case key store
  could make one case's ciphertext unopenable; deleting the entries is simple and true.
  An entry a group has not read yet goes too: applied now, it would write the erased
  fields back.
* **Dead letters** of the case in this service's dead-letter stream are resolved as
  ``erased`` (never to be replayed), and the records of earlier resolutions lose the
  copy of the entry and the error, which can quote personal fields.

Redis is changed before the database commits: should the commit fail, the event is
applied again and the Redis part, idempotent, runs again."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from redis.asyncio import Redis
from redis.typing import EncodableT, FieldT
from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.db.uow import UnitOfWork
from shared.events import EVENT_TYPES, Envelope
from shared.events.case import CaseRetentionErased
from shared.events.personal import erase_payload, personal_fields
from shared.logging import get_logger
from shared.messaging.deadletter import (
    PERSONAL_RECORD_FIELDS,
    RESOLVED_STREAM,
    decode_fields,
    list_dead_letters,
    resolve,
)
from shared.messaging.handlers import EventHandler, EventHandlers
from shared.messaging.streams import decode_entry, entries_of, event_id_of, id_text

log = get_logger(__name__)

RETENTION = "retention"
PAGE = 1000


@dataclass(frozen=True)
class ErasedEvent:
    event_id: str
    stream: str
    published: bool


@dataclass(frozen=True)
class MessagesErased:
    outbox: int
    stream_entries: int
    dead_letters: int
    records: int


async def erase_outbox(
    db: AsyncConnection, outbox: Table, aggregate_ids: Iterable[str], now: datetime
) -> list[ErasedEvent]:
    """Erase the personal fields of the outbox rows of ``aggregate_ids`` (in ``db``'s transaction)."""
    rows = await db.execute(
        select(
            outbox.c.id,
            outbox.c.event_id,
            outbox.c.event_type,
            outbox.c.stream,
            outbox.c.envelope,
            outbox.c.published_at,
        )
        .where(outbox.c.aggregate_id.in_(sorted(set(aggregate_ids))), outbox.c.erased_at.is_(None))
        .order_by(outbox.c.id)
    )
    erased: list[ErasedEvent] = []
    for row in rows.all():
        model = EVENT_TYPES.get(row.event_type)
        if model is None or not personal_fields(model):
            continue  # nothing personal in it: kept as it is
        envelope = {**row.envelope, "payload": erase_payload(model, row.envelope.get("payload") or {})}
        # A row not yet published never will be: no consumer is to apply it now.
        published_at = row.published_at or now
        await db.execute(
            update(outbox)
            .where(outbox.c.id == row.id)
            .values(envelope=envelope, erased_at=now, published_at=published_at)
        )
        erased.append(ErasedEvent(row.event_id, row.stream, row.published_at is not None))
    return erased


async def forget_stream_entries(redis: Redis, events: Iterable[ErasedEvent]) -> int:
    """Delete the stream entries of ``events`` (every copy the relay published)."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for event in events:
        if event.published:
            wanted[event.stream].add(event.event_id)
    removed = 0
    for stream, event_ids in wanted.items():
        doomed: list[bytes] = []
        start = "-"
        while True:
            rows = entries_of(await redis.xrange(stream, min=start, max="+", count=PAGE))
            doomed += [entry_id for entry_id, fields in rows if event_id_of(fields) in event_ids]
            if len(rows) < PAGE:
                break
            start = "(" + id_text(rows[-1][0])
        if doomed:
            removed += int(await redis.xdel(stream, *doomed))
    return removed


def _about(envelope: dict[str, object], ids: set[str]) -> bool:
    return envelope.get("case_id") in ids or envelope.get("aggregate_id") in ids


async def forget_dead_letters(redis: Redis, service: str, ids: set[str]) -> tuple[int, int]:
    """Resolve this service's dead letters about ``ids`` as erased; strip the records of
    earlier resolutions of them. Returns (letters resolved, records rewritten)."""
    resolved = 0
    for letter in await list_dead_letters(redis, [service]):
        if _about(letter.envelope, ids):
            reason = "the case's personal data was erased (保存期間); never to be replayed"
            resolved += await resolve(redis, letter, outcome="erased", by=RETENTION, reason=reason, erased=True)
    rewritten = 0
    start = "-"
    while True:
        rows = entries_of(await redis.xrange(RESOLVED_STREAM, min=start, max="+", count=PAGE))
        for entry_id, fields in rows:
            if fields.get(b"service") == service.encode() and _record_about(fields, ids):
                kept = {k: v for k, v in fields.items() if k.decode() not in PERSONAL_RECORD_FIELDS}
                kept[b"erased_by"] = RETENTION.encode()
                # A stream entry cannot be edited: the record moves to the end, without them.
                async with redis.pipeline(transaction=True) as pipe:
                    pipe.xdel(RESOLVED_STREAM, entry_id)
                    pipe.xadd(RESOLVED_STREAM, cast(dict[FieldT, EncodableT], kept))
                    await pipe.execute()
                rewritten += 1
        if len(rows) < PAGE:
            return resolved, rewritten
        start = "(" + id_text(rows[-1][0])


def _record_about(fields: dict[bytes, bytes], ids: set[str]) -> bool:
    original = fields.get(b"original")
    if not original:
        return False  # nothing of the event kept
    try:
        return _about(decode_entry(decode_fields(original)).model_dump(mode="json"), ids)
    except Exception:
        return False  # an undecodable entry names no case


async def erase_messages(
    db: AsyncConnection, outbox: Table, redis: Redis, service: str, erased: CaseRetentionErased, now: datetime
) -> MessagesErased:
    """All of the above for one erased case, in ``db``'s open transaction."""
    ids = {*erased.case_ids, *erased.aggregate_ids}
    events = await erase_outbox(db, outbox, ids, now)
    entries = await forget_stream_entries(redis, events)
    letters, records = await forget_dead_letters(redis, service, ids)
    done = MessagesErased(len(events), entries, letters, records)
    log.info("retention_messages_erased", case_id=erased.case_id, service=service, **done.__dict__)
    return done


@dataclass(frozen=True)
class _ThenEraseMessages:
    own: EventHandler
    redis: Redis
    service: str
    outbox: Table

    async def __call__(self, envelope: Envelope, uow: UnitOfWork) -> None:
        await self.own(envelope, uow)
        erased = envelope.payload_as(CaseRetentionErased)
        await erase_messages(uow.db, self.outbox, self.redis, self.service, erased, uow.clock.now())


def with_message_erasure(handlers: EventHandlers, *, redis: Redis, service: str, outbox: Table) -> EventHandlers:
    """``handlers``, where applying ``case.retention_erased`` also erases the case's
    events from the service's outbox, streams and dead letters (same transaction)."""
    own = handlers.get(CaseRetentionErased.TYPE)
    if own is None:
        return handlers
    if isinstance(own, _ThenEraseMessages):  # a runtime's handlers, wrapped again for a replay
        own = own.own
    return handlers.replaced(CaseRetentionErased.TYPE, _ThenEraseMessages(own, redis, service, outbox))
