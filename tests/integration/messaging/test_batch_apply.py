"""Batched application on a real database (SQLite and PostgreSQL) and real Redis: a
batch is applied in one transaction, a poison entry in the middle is isolated as before,
a redelivered batch changes nothing, two consumers racing on one batch apply it once,
and a handler that ends the transaction itself falls back to one entry per transaction."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from shared.events import SYSTEM, CaseStageChanged, NotificationRecorded, new_event_id
from shared.messaging.consumer import StreamConsumer
from shared.messaging.handlers import EventHandlers
from shared.messaging.streams import decode_entry, ensure_group
from tests.integration.messaging.conftest import publish, stage_event

STREAM = "tsunagi.case"
GROUP = "intake"


def notification_for(envelope):
    return envelope.caused(
        NotificationRecorded(
            notification_id=new_event_id(),
            recipient_role="coordinator",
            recipient_scope="中部",
            kind="stage",
            about_event_id=envelope.event_id,
        ),
        aggregate_id=envelope.aggregate_id,
        actor=SYSTEM,
    )


def consumer_of(db, redis, name: str, handler) -> StreamConsumer:
    handlers = EventHandlers()
    handlers.on(CaseStageChanged)(handler)
    return StreamConsumer(service="intake", consumer=name, handlers=handlers, unit_of_work=db.unit_of_work, redis=redis)


async def counts(db) -> tuple[int, int]:
    async with db.engine.connect() as session:
        inbox = (await session.execute(select(func.count()).select_from(db.tables.inbox))).scalar_one()
        outbox = (await session.execute(select(func.count()).select_from(db.tables.outbox))).scalar_one()
    return inbox, outbox


async def outbox_causes(db) -> list[str]:
    """The event each outbox row was caused by (its about_event_id), in outbox order."""
    outbox = db.tables.outbox
    async with db.engine.connect() as session:
        rows = (await session.execute(select(outbox.c.envelope).order_by(outbox.c.id))).scalars().all()
    return [row["payload"]["about_event_id"] for row in rows]


async def read_batch(redis, consumer: str, count: int = 100):
    read = await redis.xreadgroup(GROUP, consumer, {STREAM: ">"}, count=count)
    return read[0][1] if read else []


async def test_a_batch_is_applied_in_one_transaction_in_order(intake_db, redis) -> None:
    settings, db = intake_db
    events = [stage_event() for _ in range(6)]
    seen_inbox: list[int] = []

    async def handler(envelope, uow) -> None:
        # Every inbox row of the batch is written before the first handler: one transaction.
        inbox = uow._tables.inbox
        seen_inbox.append((await uow.db.execute(select(func.count()).select_from(inbox))).scalar_one())
        uow.publish(notification_for(envelope))

    await ensure_group(redis, STREAM, GROUP)
    await publish(settings.redis_url, STREAM, *events)
    consumer = consumer_of(db, redis, "intake-1", handler)
    entries = await read_batch(redis, "intake-1")
    done = await consumer.apply_entries(STREAM, entries)

    assert done == [m for m, _f in entries]
    assert seen_inbox == [6] * 6
    assert await counts(db) == (6, 6)
    assert await outbox_causes(db) == [e.event_id for e in events]  # published in stream order
    assert consumer.applied_total == 6
    assert (await redis.xpending(STREAM, GROUP))["pending"] == 0


async def test_a_poison_entry_in_the_middle_stays_pending_and_the_others_apply_once(intake_db, redis) -> None:
    settings, db = intake_db
    events = [stage_event() for _ in range(5)]
    poison = events[2]
    calls: dict[str, int] = {}

    async def handler(envelope, uow) -> None:
        calls[envelope.event_id] = calls.get(envelope.event_id, 0) + 1
        uow.publish(notification_for(envelope))
        if envelope.event_id == poison.event_id:
            raise ValueError("this event is bad")

    await ensure_group(redis, STREAM, GROUP)
    await publish(settings.redis_url, STREAM, *events)
    consumer = consumer_of(db, redis, "intake-1", handler)
    entries = await read_batch(redis, "intake-1")
    done = await consumer.apply_entries(STREAM, entries)

    poison_id = entries[2][0]
    assert done == [m for m, _f in entries if m != poison_id]
    assert calls[poison.event_id] == 1  # not run twice for one delivery
    assert await counts(db) == (4, 4)  # each good one once, nothing of the poison
    assert await outbox_causes(db) == [e.event_id for e in events if e is not poison]
    pending = await redis.xpending_range(STREAM, GROUP, min="-", max="+", count=10)
    assert [p["message_id"] for p in pending] == [poison_id]
    error = await redis.hget(consumer.error_key(STREAM), poison_id)
    assert error is not None and b"this event is bad" in error

    # Redelivered (as the reclaimer does): the good ones are skipped, the poison fails again.
    again = await consumer.apply_entries(STREAM, entries)
    assert again == [m for m, _f in entries if m != poison_id]
    assert calls[poison.event_id] == 2
    assert await counts(db) == (4, 4)


async def test_a_redelivered_batch_changes_nothing(intake_db, redis) -> None:
    settings, db = intake_db
    events = [stage_event() for _ in range(4)]
    calls: list[str] = []

    async def handler(envelope, uow) -> None:
        calls.append(envelope.event_id)
        uow.publish(notification_for(envelope))

    await ensure_group(redis, STREAM, GROUP)
    await publish(settings.redis_url, STREAM, *events)
    # The same event twice in one batch (the relay republished it after a crash).
    await publish(settings.redis_url, STREAM, events[1])
    consumer = consumer_of(db, redis, "intake-1", handler)
    entries = await read_batch(redis, "intake-1")
    assert len(entries) == 5
    assert len(await consumer.apply_entries(STREAM, entries)) == 5
    assert calls == [e.event_id for e in events]
    assert await counts(db) == (4, 4)
    assert consumer.duplicates_total == 1

    assert len(await consumer.apply_entries(STREAM, entries)) == 5
    assert calls == [e.event_id for e in events]  # no handler ran
    assert await counts(db) == (4, 4)
    assert consumer.duplicates_total == 6
    assert consumer.applied_total == 4


async def test_two_consumers_racing_on_the_same_batch_apply_it_once(intake_db, redis) -> None:
    settings, db = intake_db
    events = [stage_event() for _ in range(5)]

    async def slowly(envelope, uow) -> None:
        uow.publish(notification_for(envelope))
        await asyncio.sleep(0.02)  # both consumers are inside their transaction now

    await ensure_group(redis, STREAM, GROUP)
    await publish(settings.redis_url, STREAM, *events)
    entries = await read_batch(redis, "intake-1")
    replicas = [consumer_of(db, redis, f"intake-{n}", slowly) for n in (1, 2)]

    results = await asyncio.gather(*(r.apply_entries(STREAM, entries) for r in replicas))
    assert all(done == [m for m, _f in entries] for done in results)
    assert await counts(db) == (5, 5)
    assert sum(r.applied_total for r in replicas) == 5
    assert sum(r.duplicates_total for r in replicas) == 5
    assert (await redis.xpending(STREAM, GROUP))["pending"] == 0


async def test_a_handler_that_commits_itself_gets_its_own_transactions(intake_db, redis) -> None:
    settings, db = intake_db
    events = [stage_event() for _ in range(3)]
    calls: list[str] = []

    async def committing(envelope, uow) -> None:
        calls.append(envelope.event_id)
        uow.publish(notification_for(envelope))
        await uow.commit()  # relies on its own transaction boundary

    await ensure_group(redis, STREAM, GROUP)
    await publish(settings.redis_url, STREAM, *events)
    consumer = consumer_of(db, redis, "intake-1", committing)
    entries = await read_batch(redis, "intake-1")
    assert await consumer.apply_entries(STREAM, entries) == [m for m, _f in entries]
    # The batch attempt was refused before it committed anything; then one by one.
    assert calls == [events[0].event_id, *(e.event_id for e in events)]
    assert await counts(db) == (3, 3)
    assert await outbox_causes(db) == [e.event_id for e in events]


async def test_an_undecodable_entry_is_isolated(intake_db, redis) -> None:
    settings, db = intake_db
    events = [stage_event() for _ in range(2)]

    async def handler(envelope, uow) -> None:
        uow.publish(notification_for(envelope))

    await ensure_group(redis, STREAM, GROUP)
    await publish(settings.redis_url, STREAM, events[0])
    await redis.xadd(STREAM, {b"junk": b"1"})
    await publish(settings.redis_url, STREAM, events[1])
    consumer = consumer_of(db, redis, "intake-1", handler)
    entries = await read_batch(redis, "intake-1")
    done = await consumer.apply_entries(STREAM, entries)
    assert done == [entries[0][0], entries[2][0]]
    assert [decode_entry(f).event_id for m, f in entries if m in done] == [e.event_id for e in events]
    assert await counts(db) == (2, 2)
    pending = await redis.xpending_range(STREAM, GROUP, min="-", max="+", count=10)
    assert [p["message_id"] for p in pending] == [entries[1][0]]


async def test_a_batch_handler_gets_consecutive_entries_together_and_a_poison_one_is_found(intake_db, redis) -> None:
    settings, db = intake_db
    events = [stage_event() for _ in range(5)]
    poison = events[3]
    calls: list[list[str]] = []

    handlers = EventHandlers()

    @handlers.on_batch(CaseStageChanged)
    async def handle_all(envelopes, uow) -> None:
        calls.append([e.event_id for e in envelopes])
        for envelope in envelopes:
            uow.publish(notification_for(envelope))
            if envelope.event_id == poison.event_id:
                raise ValueError("this event is bad")

    await ensure_group(redis, STREAM, GROUP)
    await publish(settings.redis_url, STREAM, *events[:3])
    consumer = StreamConsumer(
        service="intake", consumer="intake-1", handlers=handlers, unit_of_work=db.unit_of_work, redis=redis
    )
    entries = await read_batch(redis, "intake-1")
    assert len(await consumer.apply_entries(STREAM, entries)) == 3
    assert calls == [[e.event_id for e in events[:3]]]  # one call for the whole run
    assert await counts(db) == (3, 3)

    # A batch with a poison entry: rolled back whole, then one entry per transaction
    # (a list of one each), so only the poison one stays pending.
    calls.clear()
    await publish(settings.redis_url, STREAM, *events[3:])
    entries = await read_batch(redis, "intake-1")
    done = await consumer.apply_entries(STREAM, entries)
    assert done == [entries[1][0]]
    assert calls == [[poison.event_id, events[4].event_id], [poison.event_id], [events[4].event_id]]
    assert await counts(db) == (4, 4)
    assert await outbox_causes(db) == [e.event_id for e in events if e is not poison]
    pending = await redis.xpending_range(STREAM, GROUP, min="-", max="+", count=10)
    assert [p["message_id"] for p in pending] == [entries[0][0]]
