"""The broker is built in one place, from settings. Nothing connects at import time."""

from __future__ import annotations

import logging

from faststream.redis import RedisBroker
from redis.asyncio import Redis

from shared.events import Envelope, stream_for
from shared.settings import Settings


def make_broker(settings: Settings, *, publishes: tuple[str, ...] = ()) -> RedisBroker:
    broker = RedisBroker(settings.effective_redis_url(), log_level=logging.DEBUG,
                         logger=logging.getLogger("faststream"))
    # Declared publishers document the contract in the generated AsyncAPI page.
    for family in publishes:
        broker.publisher(stream=stream_for(family), schema=Envelope,
                         title=f"{stream_for(family)}:publish",
                         description=f"Tsunagi {family}.* events in the common envelope")
    return broker


def make_redis(settings: Settings) -> Redis:
    return Redis.from_url(settings.effective_redis_url(), socket_timeout=10,
                          socket_connect_timeout=5, health_check_interval=30)
