"""The broker is built in one place, from settings. Nothing connects at import time."""

from __future__ import annotations

import logging
import socket

from faststream.redis import RedisBroker
from redis.asyncio import Redis

from shared.events import Envelope, stream_for
from shared.settings import Settings


def make_broker(settings: Settings, *, publishes: tuple[str, ...] = ()) -> RedisBroker:
    broker = RedisBroker(
        settings.effective_redis_url(), log_level=logging.DEBUG, logger=logging.getLogger("faststream")
    )
    # FastStream's own record of the streams published to; the AsyncAPI served is built from the contracts.
    for family in publishes:
        broker.publisher(
            stream=stream_for(family),
            schema=Envelope,
            title=f"{stream_for(family)}:publish",
            description=f"Tsunagi {family}.* events in the common envelope",
        )
    return broker


# A dead peer (host gone, cable cut) is found by the kernel, not by a timer per command:
# keepalive probes after 10 s idle, and a write not acknowledged within 10 s drops the
# connection (TCP_USER_TIMEOUT), so a command fails instead of hanging. redis-py's
# ``socket_timeout`` would do it in asyncio instead, wrapping every send and read in
# ``asyncio.wait_for``, which costs more CPU than the command itself on the hot path of
# every relay and every ack. Callers that must answer in bounded time whatever Redis
# does (readiness, metrics) set their own timeout.
KEEPALIVE_OPTIONS = {
    opt: value
    for name, value in (("TCP_KEEPIDLE", 10), ("TCP_KEEPINTVL", 5), ("TCP_KEEPCNT", 3), ("TCP_USER_TIMEOUT", 10_000))
    if (opt := getattr(socket, name, None)) is not None
}


def make_redis(settings: Settings) -> Redis:
    # socket_timeout=None said explicitly: redis-py's default is 5 s.
    return Redis.from_url(
        settings.effective_redis_url(),
        socket_timeout=None,
        socket_connect_timeout=5,
        health_check_interval=30,
        socket_keepalive=True,
        socket_keepalive_options=KEEPALIVE_OPTIONS,
    )
