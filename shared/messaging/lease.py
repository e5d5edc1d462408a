"""A Redis lease: at most one holder at a time, renewed while the holder works.

Acquire is ``SET key owner NX PX``; renew and release are compare-and-act Lua scripts,
so a holder can never extend or delete a lease that already passed to someone else
(a plain GET-then-PEXPIRE could, if the lease expired between the two commands).

The holder also tracks, on its own monotonic clock, until when the lease is surely
still its own (``valid_for_s``), measured from *before* the renewal was sent: a holder
that stalls (GC pause, slow database) past that point must renew before it acts again.
"""

from __future__ import annotations

import contextlib
import time

from redis.asyncio import Redis

_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


class Lease:
    def __init__(self, redis: Redis, key: str, owner: str, *, ttl_ms: int) -> None:
        self.redis = redis
        self.key = key
        self.owner = owner
        self.ttl_ms = ttl_ms
        self._valid_until = 0.0
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)

    @property
    def valid_for_s(self) -> float:
        """How long the lease is surely still ours (0 when not held)."""
        return max(0.0, self._valid_until - time.monotonic())

    async def acquire_or_renew(self) -> bool:
        sent_at = time.monotonic()
        held = bool(await self.redis.set(self.key, self.owner, nx=True, px=self.ttl_ms))
        if not held:
            held = bool(await self._renew(keys=[self.key], args=[self.owner, self.ttl_ms]))
        # A small margin for clock drift between this process and Redis.
        self._valid_until = sent_at + self.ttl_ms / 1000 * 0.9 if held else 0.0
        return held

    async def ensure(self, *, min_remaining_s: float) -> bool:
        """Renew when less than ``min_remaining_s`` is left; False when the lease is lost."""
        if self.valid_for_s >= min_remaining_s:
            return True
        return await self.acquire_or_renew()

    async def release(self) -> None:
        self._valid_until = 0.0
        with contextlib.suppress(Exception):  # best effort: it expires by itself anyway
            await self._release(keys=[self.key], args=[self.owner])
