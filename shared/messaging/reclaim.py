"""Reclaim, retries with backoff, and dead letters.

FastStream reads only new entries (``>``) and, on Redis 7, cannot claim; an entry whose
apply failed, or whose consumer died, stays pending in the group. This loop, run in
every process of a service, takes them over and retries them.

**The retry rule.** An entry delivered ``n`` times is retried once it has been idle for
``idle_ms * 2**(n-1)`` (capped at ``idle_ms * MAX_BACKOFF_FACTOR``): 1×, 2×, 4×… the
idle time. When it has been delivered ``max_deliveries`` times and is still failing
after its backoff, it goes to ``tsunagi.dlq.<service>`` with its last error, the
attempt count and the original entry, and is acked in the source stream. An entry
whose last failure was *transient* (database or Redis unreachable, ``failures.py``)
is retried every ``idle_ms`` for as long as the outage lasts and is never
dead-lettered: recovery after an outage is quick, and good events stay out of the DLQ.

**Why XPENDING + XCLAIM, not XAUTOCLAIM.** XAUTOCLAIM claims every entry idle for
one fixed time, and claiming resets the idle time, so it cannot give each entry its
own backoff. We list candidates with ``XPENDING … IDLE idle_ms`` in batches (that
also gives each entry's delivery count), pick those whose backoff has passed, and
``XCLAIM`` them with ``min-idle-time``: of two processes racing for one entry, only
the first gets it (claiming resets its idle time), so no entry is retried twice at once.

**Dead consumers.** A consumer (a process; names are unique per process) that has no
pending entries left and has been idle for ``forget_after_ms`` is deleted from the
group, atomically with the check that it owns nothing (a Lua script), so no entry is
ever lost with it; a live consumer deleted by mistake is simply recreated by its next
read."""

from __future__ import annotations

import asyncio
from typing import cast

from redis.asyncio import Redis
from redis.exceptions import ResponseError
from redis.typing import EncodableT, FieldT

from shared.logging import get_logger
from shared.messaging.consumer import StreamConsumer
from shared.messaging.deadletter import dead_letter_entry
from shared.messaging.failures import RecordedError
from shared.messaging.streams import dead_letter_stream, ensure_group, entries_of, id_text

log = get_logger(__name__)

MAX_BACKOFF_FACTOR = 32
FORGET_AFTER_MS = 3_600_000

_FORGET_IF_IDLE = """
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
if #pending == 0 then
  return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
end
return -1
"""


def backoff_ms(idle_ms: int, deliveries: int) -> int:
    """How long an entry delivered ``deliveries`` times waits before its next attempt."""
    return idle_ms * min(2 ** max(deliveries - 1, 0), MAX_BACKOFF_FACTOR)


class Reclaimer:
    def __init__(
        self,
        consumer: StreamConsumer,
        redis: Redis,
        *,
        idle_ms: int,
        max_deliveries: int,
        batch_size: int = 100,
        forget_after_ms: int = FORGET_AFTER_MS,
    ) -> None:
        self.consumer = consumer
        self.redis = redis
        self.idle_ms = idle_ms
        self.max_deliveries = max_deliveries
        self.batch_size = batch_size
        self.forget_after_ms = forget_after_ms
        self.dead_lettered_total = 0
        self.forgotten_total = 0

    @property
    def group(self) -> str:
        return self.consumer.group

    async def dead_letter(
        self, stream: str, message_id: bytes, fields: dict[bytes, bytes], attempts: int, error: RecordedError
    ) -> None:
        entry = dead_letter_entry(
            service=self.consumer.service,
            stream=stream,
            message_id=message_id,
            fields=fields,
            attempts=attempts,
            error=error.error,
        )
        async with self.redis.pipeline(transaction=True) as pipe:
            # xadd's fields are a dict (invariant) of any encodable: ours are all bytes
            pipe.xadd(dead_letter_stream(self.consumer.service), cast(dict[FieldT, EncodableT], entry))
            pipe.xack(stream, self.group, message_id)
            pipe.hdel(self.consumer.error_key(stream), message_id)
            await pipe.execute()
        self.dead_lettered_total += 1
        log.error(
            "event_dead_lettered",
            stream=stream,
            message_id=message_id.decode(),
            attempts=attempts,
            event_id=entry[b"event_id"].decode(),
            error=error.error[:300],
        )

    async def _due(self, stream: str, rows: list[dict]) -> tuple[list[bytes], dict[bytes, tuple[int, RecordedError]]]:
        """Split idle pending rows into (retry now, dead-letter now with attempts and error)."""
        ids = [row["message_id"] for row in rows]
        errors = await self.redis.hmget(self.consumer.error_key(stream), ids) if ids else []
        retry: list[bytes] = []
        dead: dict[bytes, tuple[int, RecordedError]] = {}
        for row, raw_error in zip(rows, errors, strict=True):
            message_id, deliveries = row["message_id"], int(row["times_delivered"])
            error = RecordedError.decode(raw_error)
            if error.transient:  # an outage: retry every idle_ms until it ends, never dead-letter
                retry.append(message_id)
            elif int(row["time_since_delivered"]) < backoff_ms(self.idle_ms, deliveries):
                continue
            elif deliveries >= self.max_deliveries:
                dead[message_id] = (deliveries, error)
            else:
                retry.append(message_id)
        return retry, dead

    async def reclaim_stream(self, stream: str) -> int:
        """Retry or dead-letter the due pending entries of one stream; returns how many
        entries this process claimed."""
        start, claimed_total = "-", 0
        while True:
            rows = await self.redis.xpending_range(
                stream, self.group, min=start, max="+", count=self.batch_size, idle=self.idle_ms
            )
            if not rows:
                return claimed_total
            retry, dead = await self._due(stream, rows)
            if retry or dead:
                claimed = entries_of(
                    await self.redis.xclaim(
                        stream,
                        self.group,
                        self.consumer.consumer,
                        min_idle_time=self.idle_ms,
                        message_ids=[*retry, *dead],
                    )
                )
                claimed_total += len(claimed)
                to_apply = []
                for message_id, fields in claimed:
                    if message_id in dead:
                        await self.dead_letter(stream, message_id, fields, *dead[message_id])
                    else:
                        to_apply.append((message_id, fields))
                if to_apply:
                    log.info("pending_reclaimed", stream=stream, count=len(to_apply))
                    await self.consumer.apply_entries(stream, to_apply)
            if len(rows) < self.batch_size:
                return claimed_total
            start = "(" + id_text(rows[-1]["message_id"])

    async def forget_dead_consumers(self, stream: str) -> int:
        """Delete consumers that own nothing and have been idle for ``forget_after_ms``."""
        forgotten = 0
        for info in await self.redis.xinfo_consumers(stream, self.group):
            name = info["name"].decode() if isinstance(info["name"], bytes) else info["name"]
            if name == self.consumer.consumer or int(info["pending"]) or int(info["idle"]) < self.forget_after_ms:
                continue
            if int(await self.redis.eval(_FORGET_IF_IDLE, 1, stream, self.group, name)) >= 0:
                forgotten += 1
                log.info("consumer_forgotten", stream=stream, consumer=name, idle_ms=int(info["idle"]))
        self.forgotten_total += forgotten
        return forgotten

    async def run_once(self) -> None:
        for stream in self.consumer.handlers.streams:
            try:
                await self.reclaim_stream(stream)
                await self.forget_dead_consumers(stream)
            except ResponseError as exc:
                if "NOGROUP" not in str(exc):
                    raise
                # Redis lost the group (restarted without its append-only file): recreate it
                # from the stream's start; the inbox makes the re-reading harmless.
                await ensure_group(self.redis, stream, self.group)
                log.warning("consumer_group_recreated", stream=stream, group=self.group)

    async def run(self, interval_s: float) -> None:
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("reclaim_retry", error_type=type(exc).__name__, error=str(exc)[:200])
            await asyncio.sleep(interval_s)
