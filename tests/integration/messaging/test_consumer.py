"""Idempotent consumers on a real database: two replicas applying the same entry at
once apply it once (the inbox's primary key decides), and the loser's effects roll back.
Background streams gather a trickle into batches."""

from __future__ import annotations

import asyncio
import time

import pytest
from faststream.redis import RedisBroker
from sqlalchemy import func, select

from shared.events import SYSTEM, CaseStageChanged, NotificationRecorded, new_event_id
from shared.messaging.consumer import StreamConsumer
from shared.messaging.handlers import EventHandlers
from shared.messaging.subscription import subscribe
from tests.integration.messaging.conftest import publish, stage_event

STREAM = "tsunagi.case"


async def test_two_replicas_racing_for_one_entry_apply_it_once(intake_db, redis) -> None:
    settings, db = intake_db

    async def notify_slowly(envelope, uow) -> None:
        uow.publish(
            envelope.caused(
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
        )
        await asyncio.sleep(0.1)  # both replicas are inside their transaction now

    handlers = EventHandlers()
    handlers.on(CaseStageChanged)(notify_slowly)
    replicas = [
        StreamConsumer(
            service="intake", consumer=f"intake-{n}", handlers=handlers, unit_of_work=db.unit_of_work, redis=redis
        )
        for n in (1, 2)
    ]
    event = stage_event()
    await publish(settings.redis_url, STREAM, event)
    [(_id, fields)] = await redis.xrange(STREAM)

    results = await asyncio.gather(*(r.apply(STREAM, fields) for r in replicas))
    assert sorted(results) == [False, True]
    async with db.engine.connect() as session:
        inbox = db.tables.inbox
        outbox = db.tables.outbox
        assert (
            await session.execute(select(func.count()).select_from(inbox).where(inbox.c.event_id == event.event_id))
        ).scalar_one() == 1
        assert (await session.execute(select(func.count()).select_from(outbox))).scalar_one() == 1
    assert sum(r.duplicates_total for r in replicas) == 1


async def test_a_background_stream_gathers_a_trickle_into_batches_but_applies_a_lone_entry_at_once(
    intake_db, redis
) -> None:
    """Through a real broker: after a batch smaller than the batch size, a background
    stream's next read waits ``background_linger_ms``, so entries trickling in meanwhile
    are applied together; an entry after a quiet spell is applied as soon as it arrives."""
    settings, db = intake_db
    batches: list[tuple[float, int]] = []

    async def record(envelopes, uow) -> None:
        batches.append((time.monotonic(), len(envelopes)))

    handlers = EventHandlers()
    handlers.on_batch(CaseStageChanged)(record)
    handlers.in_background("case")
    broker = RedisBroker(settings.redis_url)
    consumer = StreamConsumer(
        service="intake", consumer="intake-1", handlers=handlers, unit_of_work=db.unit_of_work, redis=redis
    )
    subscribe(consumer, broker, batch_size=100, poll_interval_ms=100, background_linger_ms=400)
    await broker.start()
    try:
        sent = time.monotonic()
        await publish(settings.redis_url, STREAM, stage_event())
        while not batches and time.monotonic() - sent < 5:
            await asyncio.sleep(0.005)
        assert batches and batches[0][1] == 1
        assert batches[0][0] - sent < 0.3, "a lone entry after a quiet spell waits for nothing"
        for _ in range(5):  # the consumer is lingering now: these gather
            await publish(settings.redis_url, STREAM, stage_event())
            await asyncio.sleep(0.02)
        while sum(n for _t, n in batches) < 6 and time.monotonic() - sent < 5:
            await asyncio.sleep(0.01)
        assert [n for _t, n in batches] == [1, 5]
    finally:
        await broker.stop()


def test_marking_a_stream_the_service_does_not_consume_as_background_is_refused(redis) -> None:
    handlers = EventHandlers()
    handlers.on(CaseStageChanged)(lambda envelope, uow: None)
    handlers.in_background("notification")
    consumer = StreamConsumer(
        service="intake", consumer="intake-1", handlers=handlers, unit_of_work=lambda: None, redis=redis
    )
    with pytest.raises(ValueError, match="tsunagi.notification"):
        subscribe(consumer, RedisBroker(), batch_size=100, poll_interval_ms=100, background_linger_ms=25)
