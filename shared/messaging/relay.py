"""The outbox relay: moves committed events from a service's outbox to Redis.

**One leader per service, chosen by a Redis lease** (``tsunagi:relay:<service>``, see
``lease.py``). Every replica runs a relay, but only the lease holder publishes; the
others wait and take over within ``LEASE_MS`` when the holder dies. Why a leader and
not every replica publishing its own share (``SELECT … FOR UPDATE SKIP LOCKED``):
two replicas publishing different rows at once would interleave one case's events in
the stream out of outbox order, and consumers would have to re-sort them; one
publisher keeps each stream in outbox order, which for one aggregate is its commit
order (a change of an aggregate writes its row before its outbox row, so a later
change of the same aggregate waits for the earlier commit). The relay is cheap (one
query and one pipelined round trip per batch), so one publisher per service is
enough and the lease costs one command per poll.

**Delivery: at least once, in order.** A batch is marked published and read in one
statement, published in one pipeline, and the mark committed only then. A crash
between the two publishes the batch again on resume (from the oldest unpublished row: nothing lost,
nothing reordered); a lease lost mid-batch (the holder stalled for longer than the
lease) can likewise let two holders publish the same rows. Both only duplicate
entries, which idempotent consumers skip (their inbox), so safety never depends on
the lease — only efficiency and order do. The holder renews before each batch when
less than half the lease is left, and stops when it cannot.

**Outages.** While Redis or the database is down the relay backs off (up to
``MAX_BACKOFF_S``) and retries; writers keep committing to the outbox meanwhile, so
the HTTP APIs keep accepting work."""

from __future__ import annotations

import asyncio
import contextlib

from faststream.redis import RedisBroker
from redis.asyncio import Redis
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.backoff import Backoff
from shared.clock import Clock
from shared.db.tables import MessagingTables
from shared.events import Envelope
from shared.logging import get_logger
from shared.messaging.lease import Lease
from shared.messaging.streams import headers_of
from shared.tracing import NO_SPANS, StreamSpans

log = get_logger(__name__)

LEASE_MS = 5_000
MAX_BACKOFF_S = 5.0


class OutboxRelay:
    def __init__(
        self,
        *,
        service: str,
        owner: str,
        engine: AsyncEngine,
        tables: MessagingTables,
        broker: RedisBroker,
        redis: Redis,
        clock: Clock,
        signal: asyncio.Event,
        poll_interval_s: float = 0.5,
        batch_size: int = 200,
        lease_ms: int = LEASE_MS,
        spans: StreamSpans = NO_SPANS,
    ) -> None:
        self.service = service
        self.owner = owner
        self.engine = engine
        self.outbox = tables.outbox
        self.broker = broker
        self.redis = redis
        self.clock = clock
        self.signal = signal
        self.poll_interval_s = poll_interval_s
        self.batch_size = batch_size
        self.lease = Lease(redis, f"tsunagi:relay:{service}", owner, ttl_ms=lease_ms)
        self.spans = spans  # a span per relayed batch (shared/tracing/context.py); none when off
        outbox = self.outbox
        oldest = (
            select(outbox.c.id)
            .where(outbox.c.published_at.is_(None))
            .order_by(outbox.c.id)
            .limit(batch_size)
            .scalar_subquery()
        )
        # Built once (a statement built per call is re-keyed by SQLAlchemy each time).
        self._mark_batch = (
            update(outbox)
            .where(outbox.c.id.in_(oldest), outbox.c.published_at.is_(None))
            .values(published_at=bindparam("marked_at"))
            .returning(outbox.c.id, outbox.c.stream, outbox.c.envelope)
        )
        self.published_total = 0

    @property
    def lease_key(self) -> str:
        return self.lease.key

    @property
    def is_leader(self) -> bool:
        return self.lease.valid_for_s > 0

    async def hold_lease(self) -> bool:
        return await self.lease.acquire_or_renew()

    async def release_lease(self) -> None:
        await self.lease.release()

    async def publish_batch(self) -> int:
        """Publish one batch of unpublished events in outbox order; returns how many.

        One statement marks the batch and returns it (``UPDATE … RETURNING``, inside a
        transaction that commits only after the pipelined XADDs succeeded): a crash or
        a Redis error before the commit rolls the marks back, so the rows are published
        again later (a duplicate, which consumers skip) — never marked but unsent."""
        async with self.engine.connect() as conn:
            rows = sorted(
                (await conn.execute(self._mark_batch, {"marked_at": self.clock.now()})).all(), key=lambda r: r.id
            )
            if not rows:
                return 0
            envelopes = [Envelope.model_validate(row.envelope) for row in rows]
            with self.spans.publishing(envelopes):
                async with self.redis.pipeline(transaction=False) as pipe:
                    for row, envelope in zip(rows, envelopes, strict=True):
                        await self.broker.publish(
                            envelope,
                            stream=row.stream,
                            headers=headers_of(envelope),
                            correlation_id=envelope.correlation_id,
                            pipeline=pipe,
                        )
                    await pipe.execute()
            await conn.commit()
        self.published_total += len(rows)
        return len(rows)

    async def publish_while_leader(self) -> int:
        """Publish batches until the outbox is drained or the lease is lost."""
        total = 0
        while await self.lease.ensure(min_remaining_s=self.lease.ttl_ms / 2000):
            count = await self.publish_batch()
            total += count
            if count < self.batch_size:
                break
        if total:
            log.debug("outbox_published", count=total)
        return total

    async def run(self) -> None:
        backoff = Backoff(first_s=0.1, cap_s=MAX_BACKOFF_S)
        while True:
            try:
                # Cleared before reading, so a commit during the batch wakes the next one.
                self.signal.clear()
                # Renewed only when half the lease is gone (not two Redis round trips per wake-up).
                if await self.lease.ensure(min_remaining_s=self.lease.ttl_ms / 2000):
                    await self.publish_while_leader()
                backoff.reset()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.signal.wait(), timeout=self.poll_interval_s)
            except asyncio.CancelledError:
                await self.release_lease()
                raise
            except Exception as exc:  # Redis or database down: keep everything, retry.
                log.warning(
                    "outbox_relay_retry", error_type=type(exc).__name__, error=str(exc)[:200], backoff_s=backoff.delay_s
                )
                await backoff.sleep()

    async def backlog(self) -> int:
        async with self.engine.connect() as conn:
            return int(
                (
                    await conn.execute(
                        select(func.count()).select_from(self.outbox).where(self.outbox.c.published_at.is_(None))
                    )
                ).scalar_one()
            )
