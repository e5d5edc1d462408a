"""A per-account limit on writes (POST, PUT, PATCH, DELETE): past ``limit`` writes in a
window, a 429 with ``Retry-After`` until the window ends. Counted in Redis, so every
replica of every service counts the same account together; one INCR per write.

A fixed window on the shared clock (the window's number is part of the Redis key), not
Redis's own expiry, decides when counting starts again: tests move that clock instead of
waiting. When Redis cannot be reached the write goes through — a consultation must not
be lost because it could not be counted."""

from __future__ import annotations

import math

from redis.asyncio import Redis
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.clock import Clock
from shared.http.callers import account_of
from shared.http.errors import Problem, is_unavailable, problem_response
from shared.identity import TokenVerifier
from shared.logging import get_logger

log = get_logger(__name__)

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PREFIX = "tsunagi:writes"


def too_many(retry_after_s: int, limit: int, window_s: int) -> Problem:
    return Problem(
        429,
        "送信が多すぎます",
        f"短い時間に送信が集中したため受け付けませんでした({window_s} 秒あたり {limit} 件まで)。"
        f"{retry_after_s} 秒ほど待ってからもう一度送信してください。",
        type_="too-many-requests",
        headers={"Retry-After": str(retry_after_s)},
    )


class WriteRateLimit:
    def __init__(
        self,
        app: ASGIApp,
        *,
        redis: Redis,
        clock: Clock,
        tokens: TokenVerifier,
        limits: dict[str, int],
        window_s: int,
    ) -> None:
        self.app = app
        self.redis = redis
        self.clock = clock
        self.tokens = tokens
        self.limits = limits
        self.window_s = window_s

    def limit_of(self, role: str) -> int:
        return self.limits.get(role, self.limits.get("default", 0))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in WRITES:
            identity = account_of(scope, self.tokens)
            limit = self.limit_of(identity.role) if identity else 0
            if identity is not None and limit > 0:
                now = self.clock.now().timestamp()
                window = int(now // self.window_s)
                count = await self._count(f"{PREFIX}:{identity.subject}:{window}")
                if count is not None and count > limit:
                    retry_after = max(1, math.ceil((window + 1) * self.window_s - now))
                    log.warning("write_rate_limited", role=identity.role, limit=limit, window_s=self.window_s)
                    await problem_response(too_many(retry_after, limit, self.window_s))(scope, receive, send)
                    return
        await self.app(scope, receive, send)

    async def _count(self, key: str) -> int | None:
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                # Kept a window longer than needed: the shared clock may run ahead of Redis's.
                pipe.incr(key)
                pipe.expire(key, 2 * self.window_s)
                count, _ = await pipe.execute()
            return int(count)
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            log.warning("write_rate_not_counted", error_type=type(exc).__name__)
            return None
