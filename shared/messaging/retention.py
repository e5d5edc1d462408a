"""Stream retention: trim what every consumer group is done with, nothing else.

**The rule.** For each stream, every group's *floor* is its oldest pending entry (still
being applied or retried) or, when it has none pending, its last-delivered id (it has
not even read what comes after). The stream is trimmed (``XTRIM MINID``, exact) below
the lowest floor over all groups, and never inside the safety margin: the newest
``keep_recent`` entries and everything younger than ``keep_age_ms`` always stay. A
stream with no group yet is not trimmed at all.

The margin is there for a group that does not exist yet: groups are created from the
stream's beginning when a service first starts, so a service started for the first
time (or a new service) still finds recent history. Floors only move forward (acks,
reads), so a floor computed a moment ago is still safe when XTRIM runs; the one
exception, an operator moving a group back with ``XGROUP SETID``, is what the margin
is for too. Trimming is idempotent, so any process may run it; the runtime lets the
relay leader do it. Dead-letter streams are never trimmed here (operators resolve
them with ``tsunagi dlq``). The entries of a case retention erased do not wait for
this trim (its margin may keep them for long in a quiet stream): ``erasure.py``
deletes them, and resolves the case's dead letters, as the erasure is applied."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from shared.logging import get_logger
from shared.messaging.streams import entries_of

log = get_logger(__name__)

KEEP_RECENT = 10_000
KEEP_AGE_MS = 24 * 3_600_000


def parse_id(value: bytes | str) -> tuple[int, int]:
    text = value.decode() if isinstance(value, bytes) else value
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class StreamTrimmer:
    def __init__(
        self,
        redis: Redis,
        streams: list[str] | tuple[str, ...],
        *,
        keep_recent: int = KEEP_RECENT,
        keep_age_ms: int = KEEP_AGE_MS,
    ) -> None:
        self.redis = redis
        self.streams = list(streams)
        self.keep_recent = keep_recent
        self.keep_age_ms = keep_age_ms
        self.trimmed_total = 0

    async def group_floor(self, stream: str) -> str | None:
        """The lowest id some group still needs (None: no group, keep everything)."""
        try:
            groups = await self.redis.xinfo_groups(stream)
        except ResponseError:  # no such stream
            return None
        floors: list[str] = []
        for group in groups:
            if int(group["pending"]):
                summary = await self.redis.xpending(stream, group["name"])
                if summary["min"] is not None:
                    floors.append(_text(summary["min"]))
                    continue
            floors.append(_text(group["last-delivered-id"]))
        return min(floors, key=parse_id) if floors else None

    async def safe_minid(self, stream: str) -> str | None:
        floor = await self.group_floor(stream)
        if floor is None:
            return None
        bounds = [floor]
        if self.keep_recent:
            recent = entries_of(await self.redis.xrevrange(stream, count=self.keep_recent))
            if len(recent) < self.keep_recent:
                return None
            bounds.append(_text(recent[-1][0]))
        if self.keep_age_ms:
            bounds.append(f"{int(time.time() * 1000) - self.keep_age_ms}-0")
        return min(bounds, key=parse_id)

    async def trim(self, stream: str) -> int:
        minid = await self.safe_minid(stream)
        if minid is None or parse_id(minid) <= (0, 0):
            return 0
        removed = int(await self.redis.xtrim(stream, minid=minid, approximate=False))
        if removed:
            self.trimmed_total += removed
            log.info("stream_trimmed", stream=stream, removed=removed, minid=minid)
        return removed

    async def trim_all(self) -> int:
        return sum([await self.trim(stream) for stream in self.streams])

    async def run(self, interval_s: float, *, only_when: Callable[[], bool] | None = None) -> None:
        while True:
            await asyncio.sleep(interval_s)
            if only_when is not None and not only_when():
                continue
            try:
                await self.trim_all()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("stream_trim_retry", error_type=type(exc).__name__, error=str(exc)[:200])
