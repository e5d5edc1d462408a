"""The outbox relay on real Redis and a real database: order across batches, resume
after a crash, one leader, and an outage of Redis during which writes still commit."""

from __future__ import annotations

import asyncio
import json
import uuid

import redis.asyncio as aioredis
from faststream.redis import RedisBroker
from sqlalchemy import select, update

from services.intake.adapters.orm import consultations
from shared.clock import Clock
from shared.messaging.relay import OutboxRelay
from shared.messaging.streams import decode_entry
from shared.settings import PROJECT_ROOT
from tests.integration.messaging.conftest import case_opened_for, publish, stage_event
from tests.support.servers import RedisServer
from tests.support.services import bearer, eventually, running_service

STREAM = "tsunagi.case"
EXAMPLE = json.loads((PROJECT_ROOT / "examples" / "consultation.json").read_text(encoding="utf-8"))


async def write_outbox(db, count: int) -> list[str]:
    """``count`` events of one case, each committed in its own unit of work."""
    case_id = uuid.uuid4().hex[:26]
    ids = []
    for _ in range(count):
        envelope = stage_event(case_id)
        async with db.unit_of_work() as uow:
            uow.publish(envelope)
            await uow.commit()
        ids.append(envelope.event_id)
    return ids


async def stream_event_ids(redis: aioredis.Redis) -> list[str]:
    return [decode_entry(fields).event_id for _id, fields in await redis.xrange(STREAM)]


def make_relay(settings, db, owner: str, *, batch_size: int = 3, lease_ms: int = 10_000) -> OutboxRelay:
    broker = RedisBroker(settings.redis_url)
    redis = aioredis.Redis.from_url(settings.redis_url)
    return OutboxRelay(
        service="intake",
        owner=owner,
        engine=db.engine,
        tables=db.tables,
        broker=broker,
        redis=redis,
        clock=Clock(),
        signal=asyncio.Event(),
        poll_interval_s=0.05,
        batch_size=batch_size,
        lease_ms=lease_ms,
    )


async def close(relay: OutboxRelay) -> None:
    await relay.broker.stop()
    await relay.redis.aclose()


async def test_publishes_in_outbox_order_across_batches_and_resumes_after_a_crash(intake_db, redis) -> None:
    settings, db = intake_db
    first = await write_outbox(db, 7)
    crashed = make_relay(settings, db, "relay-a", lease_ms=600)
    await crashed.broker.connect()
    assert await crashed.hold_lease()
    assert await crashed.publish_while_leader() == 7  # batches of 3, 3, 1
    assert await stream_event_ids(redis) == first

    # relay-a "crashes" after publishing its last batch but before marking it published,
    # and without releasing its lease; meanwhile more events are committed.
    outbox = db.tables.outbox
    async with db.engine.connect() as session:
        await session.execute(update(outbox).where(outbox.c.event_id.in_(first[-2:])).values(published_at=None))
        await session.commit()
    more = await write_outbox(db, 4)

    successor = make_relay(settings, db, "relay-b")
    await successor.broker.connect()
    task = asyncio.create_task(successor.run())
    try:
        # While relay-a's lease lasts, relay-b publishes nothing.
        await asyncio.sleep(0.3)
        assert await stream_event_ids(redis) == first
        assert await successor.backlog() == 6
        # Then it takes over: nothing lost, order kept; the unmarked two come again.
        await eventually(lambda: _drained(successor), what="successor drained the outbox")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    published = await stream_event_ids(redis)
    assert published == first + first[-2:] + more
    async with db.engine.connect() as session:
        rows = (await session.execute(select(outbox.c.event_id).order_by(outbox.c.id))).scalars().all()
    assert rows == first + more
    assert await redis.get("tsunagi:relay:intake") is None  # released on stop
    await close(crashed)
    await close(successor)


async def _drained(relay: OutboxRelay) -> bool:
    return await relay.backlog() == 0


async def test_only_the_lease_holder_publishes(intake_db, redis) -> None:
    settings, db = intake_db
    leader, other = make_relay(settings, db, "leader"), make_relay(settings, db, "other")
    await write_outbox(db, 2)
    assert await leader.hold_lease()
    assert not await other.hold_lease()
    assert not await other.lease.ensure(min_remaining_s=1.0)
    # A stale holder cannot extend or delete a lease that passed to someone else.
    await redis.set("tsunagi:relay:intake", "someone-else", px=5000)
    assert not await leader.hold_lease()
    await leader.release_lease()
    assert await redis.get("tsunagi:relay:intake") == b"someone-else"
    await close(leader)
    await close(other)


async def test_http_writes_commit_to_the_outbox_while_redis_is_down(make_settings, tmp_path) -> None:
    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        settings = make_settings(redis_url=server.url)
        async with running_service("intake", settings) as intake:
            reporter = bearer(settings, "reporter", "vol-1")
            before = await intake.post("/v1/consultations", json=EXAMPLE, headers=reporter)
            assert before.status_code == 201
            relay = intake.app.state.services.runtime.relay
            await eventually(lambda: _drained(relay), what="first consultation published")

            server.stop()
            during = await intake.post("/v1/consultations", json=EXAMPLE, headers=reporter)
            assert during.status_code == 201, during.text
            await asyncio.sleep(0.5)
            assert await relay.backlog() == 1  # kept, waiting for Redis

            server.start()
            await eventually(lambda: _drained(relay), timeout=20, what="relay published after Redis came back")
            client = aioredis.Redis.from_url(server.url)
            entries = await client.xrange("tsunagi.consultation")
            references = [decode_entry(f).payload["reference"] for _i, f in entries]
            assert references == [before.json()["reference"], during.json()["reference"]]
            await client.aclose()

            # Its consumers came back too: a case event published now is applied.
            submitted = decode_entry(entries[-1][1])
            await publish(server.url, STREAM, case_opened_for(submitted))
            runtime = intake.app.state.services.runtime

            async def linked() -> bool:
                async with runtime.engine.connect() as session:
                    found = await session.execute(
                        select(consultations.c.case_id).where(
                            consultations.c.id == submitted.payload["consultation_id"]
                        )
                    )
                    return found.scalar_one() is not None

            await eventually(linked, timeout=20, what="intake applied a case event after the restart")
    finally:
        server.stop()
