"""Reclaim on real Redis: a consumer that died with pending entries is taken over by a
survivor after the idle time; retries back off; transient failures never dead-letter;
a dead consumer that owns nothing is forgotten."""

from __future__ import annotations

import asyncio

from shared.events import CaseStageChanged
from shared.messaging.consumer import StreamConsumer
from shared.messaging.handlers import EventHandlers
from shared.messaging.reclaim import Reclaimer
from shared.messaging.streams import dead_letter_stream, ensure_group
from tests.integration.messaging.conftest import publish, stage_event

STREAM = "tsunagi.case"


def consumer_of(db, redis, name: str, handler) -> StreamConsumer:
    handlers = EventHandlers()
    handlers.on(CaseStageChanged)(handler)
    return StreamConsumer(service="intake", consumer=name, handlers=handlers, unit_of_work=db.unit_of_work, redis=redis)


async def test_pending_entries_of_a_dead_consumer_are_applied_by_a_survivor(intake_db, redis) -> None:
    settings, db = intake_db
    applied: list[str] = []

    async def record(envelope, _uow) -> None:
        applied.append(envelope.event_id)

    await ensure_group(redis, STREAM, "intake")
    events = [stage_event() for _ in range(5)]
    await publish(settings.redis_url, STREAM, *events)
    # "intake-dead" reads them and dies before applying any.
    read = await redis.xreadgroup("intake", "intake-dead", {STREAM: ">"}, count=10)
    assert len(read[0][1]) == 5

    survivor = consumer_of(db, redis, "intake-alive", record)
    reclaimer = Reclaimer(survivor, redis, idle_ms=300, max_deliveries=5, forget_after_ms=0)
    assert await reclaimer.reclaim_stream(STREAM) == 0  # not idle long enough yet
    assert applied == []
    await asyncio.sleep(0.35)
    await reclaimer.run_once()
    assert applied == [e.event_id for e in events]
    assert (await redis.xpending(STREAM, "intake"))["pending"] == 0
    # The dead consumer owns nothing any more: it is removed from the group.
    names = [c["name"] for c in await redis.xinfo_consumers(STREAM, "intake")]
    assert b"intake-dead" not in names and "intake-dead" not in names
    assert reclaimer.forgotten_total == 1


async def test_retries_back_off_then_dead_letter_unless_the_failure_is_transient(intake_db, redis) -> None:
    settings, db = intake_db
    attempts: dict[str, int] = {}
    poison, outage = stage_event(), stage_event()

    async def handler(envelope, _uow) -> None:
        attempts[envelope.event_id] = attempts.get(envelope.event_id, 0) + 1
        if envelope.event_id == poison.event_id:
            raise ValueError("this event is bad")
        raise ConnectionRefusedError("database unreachable")

    await ensure_group(redis, STREAM, "intake")
    await publish(settings.redis_url, STREAM, poison, outage)
    consumer = consumer_of(db, redis, "intake-1", handler)
    read = await redis.xreadgroup("intake", "intake-1", {STREAM: ">"}, count=10)
    await consumer.apply_entries(STREAM, read[0][1])  # both fail: delivery 1
    reclaimer = Reclaimer(consumer, redis, idle_ms=400, max_deliveries=3)

    await asyncio.sleep(0.5)
    await reclaimer.reclaim_stream(STREAM)  # idle > 400 ms: delivery 2 of both
    assert attempts == {poison.event_id: 2, outage.event_id: 2}
    await asyncio.sleep(0.2)
    await reclaimer.reclaim_stream(STREAM)  # the bad one waits 2 × 400 ms now: not yet
    assert attempts[poison.event_id] == 2
    await asyncio.sleep(0.7)
    await reclaimer.reclaim_stream(STREAM)  # idle > 800 ms: delivery 3
    assert attempts[poison.event_id] == 3
    await asyncio.sleep(1.7)
    await reclaimer.reclaim_stream(STREAM)  # 1600 ms later, at the limit: dead-lettered
    assert attempts[poison.event_id] == 3
    dead = await redis.xrange(dead_letter_stream("intake"))
    assert [f[b"event_id"].decode() for _i, f in dead] == [poison.event_id]
    assert dead[0][1][b"attempts"] == b"3" and b"this event is bad" in dead[0][1][b"error"]
    # ...while the one failing for want of a database is retried each time, never dead-lettered.
    assert attempts[outage.event_id] >= 4
    pending = await redis.xpending_range(STREAM, "intake", min="-", max="+", count=10)
    assert [p["message_id"] for p in pending] == [read[0][1][1][0]]


def test_consumer_names_are_unique_per_process(make_settings) -> None:
    settings = make_settings()
    assert settings.unique_consumer_name("case") != settings.unique_consumer_name("case")


async def test_a_group_lost_with_redis_data_is_recreated_from_the_start(intake_db, redis) -> None:
    settings, db = intake_db
    applied: list[str] = []

    async def record(envelope, _uow) -> None:
        applied.append(envelope.event_id)

    event = stage_event()
    await publish(settings.redis_url, STREAM, event)  # the stream exists, the group does not
    reclaimer = Reclaimer(consumer_of(db, redis, "intake-1", record), redis, idle_ms=100, max_deliveries=3)
    await reclaimer.run_once()
    groups = await redis.xinfo_groups(STREAM)
    assert [g["name"] for g in groups] in ([b"intake"], ["intake"])
    assert groups[0]["last-delivered-id"] in (b"0-0", "0-0")  # the consumer will read it all again
