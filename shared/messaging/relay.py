"""The outbox relay: moves committed events from a service's outbox to Redis.

One relay per service is active at a time (a Redis lease), so an aggregate's events
are published in outbox order even with several replicas. Losing the lease mid-batch
can publish an event twice; consumers are idempotent, so that is harmless. While Redis
is down the relay backs off and the outbox keeps everything."""

from __future__ import annotations

import asyncio
import contextlib

from faststream.redis import RedisBroker
from redis.asyncio import Redis
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from shared.clock import Clock
from shared.db.tables import MessagingTables
from shared.events import Envelope
from shared.logging import get_logger
from shared.messaging.streams import headers_of

log = get_logger(__name__)

LEASE_MS = 10_000
MAX_BACKOFF_S = 5.0


class OutboxRelay:
    def __init__(self, *, service: str, owner: str, sessions: async_sessionmaker,
                 tables: MessagingTables, broker: RedisBroker, redis: Redis, clock: Clock,
                 signal: asyncio.Event, poll_interval_s: float = 0.5, batch_size: int = 200) -> None:
        self.service = service
        self.owner = owner
        self.sessions = sessions
        self.outbox = tables.outbox
        self.broker = broker
        self.redis = redis
        self.clock = clock
        self.signal = signal
        self.poll_interval_s = poll_interval_s
        self.batch_size = batch_size
        self.lease_key = f"tsunagi:relay:{service}"
        self.published_total = 0

    async def hold_lease(self) -> bool:
        if await self.redis.set(self.lease_key, self.owner, nx=True, px=LEASE_MS):
            return True
        holder = await self.redis.get(self.lease_key)
        if holder is not None and holder.decode() == self.owner:
            await self.redis.pexpire(self.lease_key, LEASE_MS)
            return True
        return False

    async def release_lease(self) -> None:
        with contextlib.suppress(Exception):
            holder = await self.redis.get(self.lease_key)
            if holder is not None and holder.decode() == self.owner:
                await self.redis.delete(self.lease_key)

    async def publish_batch(self) -> int:
        """Publish one batch of unpublished events in order; returns how many."""
        async with self.sessions() as session:
            rows = (await session.execute(
                select(self.outbox.c.id, self.outbox.c.stream, self.outbox.c.envelope)
                .where(self.outbox.c.published_at.is_(None))
                .order_by(self.outbox.c.id)
                .limit(self.batch_size)
            )).all()
            if not rows:
                return 0
            async with self.redis.pipeline(transaction=False) as pipe:
                for row in rows:
                    envelope = Envelope.model_validate(row.envelope)
                    await self.broker.publish(
                        envelope, stream=row.stream,
                        headers=headers_of(envelope), correlation_id=envelope.correlation_id,
                        pipeline=pipe)
                await pipe.execute()
            await session.execute(
                update(self.outbox).where(self.outbox.c.id.in_([r.id for r in rows]))
                .values(published_at=self.clock.now()))
            await session.commit()
        self.published_total += len(rows)
        return len(rows)

    async def run(self) -> None:
        backoff = 0.1
        while True:
            try:
                if await self.hold_lease():
                    while (count := await self.publish_batch()) == self.batch_size:
                        await self.hold_lease()
                    if count:
                        log.debug("outbox_published", count=count)
                backoff = 0.1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.signal.wait(), timeout=self.poll_interval_s)
                self.signal.clear()
            except asyncio.CancelledError:
                await self.release_lease()
                raise
            except Exception as exc:  # Redis or database down: keep everything, retry.
                log.warning("outbox_relay_retry", error_type=type(exc).__name__, error=str(exc)[:200],
                            backoff_s=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)

    async def backlog(self) -> int:
        from sqlalchemy import func

        async with self.sessions() as session:
            return int((await session.execute(
                select(func.count()).select_from(self.outbox).where(self.outbox.c.published_at.is_(None))
            )).scalar_one())
