"""How a service's ``StreamConsumer`` is wired to FastStream: one batch subscriber per
stream it consumes, in the service's consumer group, acked by the consumer itself
(``AckPolicy.MANUAL``: an entry is acked only after its transaction commits).

**What FastStream is asked to do, and not.** Its batch parser would JSON-decode every
entry's body, re-encode the list and decode it again, for ``apply_entries`` to decode
each entry once more; and a handler parameter such as ``message:
RedisBatchStreamMessage`` is a context field that FastDepends resolves in a worker
thread (anyio's ``to_thread``, inside a task group) on every call. So the subscriber
gets XREADGROUP's reply as it came, as its body: a one-line parser and decoder.

**Background streams** (``EventHandlers.in_background``): after a batch smaller than
the batch size, the next read of such a stream waits ``background_linger_ms``, so a
steady trickle is applied several entries at a time; an entry after a quiet spell is
applied at once (nothing was waiting)."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from faststream import AckPolicy
from faststream.redis import RedisBroker, StreamSub
from faststream.redis.message import ConsumerProtocol, RedisBatchStreamMessage

from shared.messaging.consumer import StreamConsumer


def subscribe(
    consumer: StreamConsumer,
    broker: RedisBroker,
    *,
    batch_size: int,
    poll_interval_ms: int,
    background_linger_ms: int = 0,
) -> None:
    handlers = consumer.handlers
    background = handlers.background_streams
    unknown = background - set(handlers.streams)
    if unknown:
        raise ValueError(f"{consumer.service} marks streams it does not consume as background: {sorted(unknown)}")
    for stream in handlers.streams:
        linger_s = background_linger_ms / 1000 if stream in background else 0.0
        _subscribe_one(consumer, broker, stream, batch_size, poll_interval_ms, linger_s)


def _subscribe_one(
    consumer: StreamConsumer, broker: RedisBroker, stream: str, batch_size: int, poll_interval_ms: int, linger_s: float
) -> None:
    async def parse(raw: dict[str, Any]) -> RedisBatchStreamMessage:
        # FastStream hands its own parser a Redis client too; its protocol's signatures just differ from redis-py's
        redis = cast(ConsumerProtocol, consumer.redis)
        return RedisBatchStreamMessage(raw_message=raw, body=b"", consumer=redis, group=consumer.group)

    subscriber = broker.subscriber(
        stream=StreamSub(
            stream,
            group=consumer.group,
            consumer=consumer.consumer,
            batch=True,
            max_records=batch_size,
            polling_interval=poll_interval_ms,
        ),
        ack_policy=AckPolicy.MANUAL,
        parser=parse,
        decoder=_raw_entries,
        title=f"{stream}:{consumer.group}",
        description=f"{consumer.service} applies {stream} events (consumer group {consumer.group})",
    )

    @subscriber
    async def on_batch(raw: Any) -> None:
        entries = zip(raw["message_ids"], raw["data"], strict=True)
        await consumer.apply_entries(stream, entries, first_delivery=True)
        if linger_s and len(raw["message_ids"]) < batch_size:
            await asyncio.sleep(linger_s)  # a background stream: let the next batch gather


async def _raw_entries(message: RedisBatchStreamMessage) -> Any:
    """XREADGROUP's reply (``message_ids`` and ``data``) is the handler's body."""
    return message.raw_message
