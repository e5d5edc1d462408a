"""What every service's messaging adds to its /metrics: events applied and skipped as
duplicates (this process), the outbox backlog (the database), lag and pending entries
of its consumer group per stream and its dead letters (Redis). The group is the
service's own, so the ``service`` label names it."""

from __future__ import annotations

from prometheus_client.core import Metric
from redis.asyncio import Redis

from shared.messaging.consumer import StreamConsumer
from shared.messaging.relay import OutboxRelay
from shared.messaging.streams import dead_letter_stream
from shared.metrics import ServiceMetrics


def watch_messaging(metrics: ServiceMetrics, consumer: StreamConsumer, relay: OutboxRelay, redis: Redis) -> None:
    def in_process() -> list[Metric]:
        return [
            metrics.counter(
                "tsunagi_events_applied", "Events this process applied (each exactly once).", consumer.applied_total
            ),
            metrics.counter(
                "tsunagi_events_duplicate", "Events this process skipped: already applied.", consumer.duplicates_total
            ),
            metrics.gauge(
                "tsunagi_outbox_relay_leader",
                "1 while this process holds the lease to publish the service's outbox.",
                1 if relay.is_leader else 0,
            ),
        ]

    async def outbox() -> list[Metric]:
        return [
            metrics.gauge("tsunagi_outbox_backlog", "Events committed but not yet published.", await relay.backlog())
        ]

    async def streams() -> list[Metric]:
        lag: dict[tuple[str, ...], float] = {}
        pending: dict[tuple[str, ...], float] = {}
        for stream in consumer.handlers.streams:
            for group in await redis.xinfo_groups(stream):
                name = group["name"].decode() if isinstance(group["name"], bytes) else group["name"]
                if name == consumer.group:
                    lag[(stream,)] = group.get("lag") or 0
                    pending[(stream,)] = group.get("pending") or 0
        dead = await redis.xlen(dead_letter_stream(consumer.service))
        return [
            metrics.gauge(
                "tsunagi_stream_lag",
                "Entries of the stream not yet delivered to this service's group.",
                lag,
                ["stream"],
            ),
            metrics.gauge(
                "tsunagi_stream_pending",
                "Entries delivered to this service's group, not yet acknowledged.",
                pending,
                ["stream"],
            ),
            metrics.gauge("tsunagi_dead_letters", "Events waiting in this service's dead-letter stream.", dead),
        ]

    metrics.add_reader(in_process)
    metrics.on("database", outbox)
    metrics.on("redis", streams)
