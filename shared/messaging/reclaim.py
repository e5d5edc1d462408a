"""Reclaim and dead letters.

FastStream reads only new entries (``>``) and, on Redis 7, cannot claim; an entry that
failed, or whose consumer died, stays pending. This loop, run in every process, claims
entries idle for longer than ``idle_ms`` (XAUTOCLAIM in batches), retries them, and
after ``max_deliveries`` moves them to the service's dead-letter stream with the error,
the attempt count and the original entry."""

from __future__ import annotations

import asyncio
import json

from redis.asyncio import Redis

from shared.clock import utcnow
from shared.logging import get_logger
from shared.messaging.consumer import StreamConsumer
from shared.messaging.streams import dead_letter_stream

log = get_logger(__name__)


class Reclaimer:
    def __init__(self, consumer: StreamConsumer, redis: Redis, *, idle_ms: int, max_deliveries: int,
                 batch_size: int = 100) -> None:
        self.consumer = consumer
        self.redis = redis
        self.idle_ms = idle_ms
        self.max_deliveries = max_deliveries
        self.batch_size = batch_size
        self.dead_lettered_total = 0

    async def delivery_count(self, stream: str, message_id: bytes) -> int:
        rows = await self.redis.xpending_range(stream, self.consumer.group, min=message_id,
                                               max=message_id, count=1)
        return int(rows[0]["times_delivered"]) if rows else 0

    async def dead_letter(self, stream: str, message_id: bytes, fields: dict[bytes, bytes], attempts: int) -> None:
        error = await self.redis.hget(self.consumer.error_key(stream), message_id)
        entry = {
            b"stream": stream.encode(),
            b"group": self.consumer.group.encode(),
            b"message_id": message_id,
            b"attempts": str(attempts).encode(),
            b"error": error or b"unknown (consumer stopped before recording it)",
            b"dead_lettered_at": utcnow().isoformat().encode(),
            b"original": json.dumps({k.decode(): v.decode("latin-1") for k, v in fields.items()}).encode(),
        }
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xadd(dead_letter_stream(self.consumer.service), entry)
            pipe.xack(stream, self.consumer.group, message_id)
            pipe.hdel(self.consumer.error_key(stream), message_id)
            await pipe.execute()
        self.dead_lettered_total += 1
        log.error("event_dead_lettered", stream=stream, message_id=message_id.decode(), attempts=attempts)

    async def reclaim_stream(self, stream: str) -> int:
        """Claim and retry idle pending entries of one stream; returns how many were claimed."""
        start = "0-0"
        claimed_total = 0
        while True:
            next_id, claimed, *_ = await self.redis.xautoclaim(
                stream, self.consumer.group, self.consumer.consumer, min_idle_time=self.idle_ms,
                start_id=start, count=self.batch_size)
            retry: list[tuple[bytes, dict[bytes, bytes]]] = []
            for message_id, fields in claimed:
                if fields is None:  # trimmed away while pending: nothing left to apply
                    await self.redis.xack(stream, self.consumer.group, message_id)
                    continue
                attempts = await self.delivery_count(stream, message_id)
                if attempts > self.max_deliveries:
                    await self.dead_letter(stream, message_id, fields, attempts - 1)
                else:
                    retry.append((message_id, fields))
            if retry:
                log.info("pending_reclaimed", stream=stream, count=len(retry))
                await self.consumer.apply_entries(stream, retry)
            claimed_total += len(claimed)
            start = next_id.decode() if isinstance(next_id, bytes) else next_id
            if start == "0-0":
                return claimed_total

    async def run(self, interval_s: float) -> None:
        while True:
            try:
                for stream in self.consumer.handlers.streams:
                    await self.reclaim_stream(stream)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("reclaim_retry", error_type=type(exc).__name__, error=str(exc)[:200])
            await asyncio.sleep(interval_s)
