"""Idempotent stream consumers.

Each service is one consumer group per stream; each process is one consumer with a
unique name. Every entry is applied in its own transaction together with its inbox row
(so a redelivery changes nothing) and acked only after that commit. An entry that
fails stays pending with its error recorded (``failures.py``) and does not hold up the
entries after it in the batch; the reclaim loop (``reclaim.py``) retries it with a
growing idle time and dead-letters it after ``max_deliveries``.

``apply`` is also what ``tsunagi dlq replay`` calls, on the service's own database."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import structlog
from faststream import AckPolicy
from faststream.redis import RedisBroker, StreamSub
from faststream.redis.annotations import RedisBatchStreamMessage
from redis.asyncio import Redis
from sqlalchemy.exc import IntegrityError

from shared.db.uow import UnitOfWork
from shared.events import Envelope, EventPayload, stream_for
from shared.logging import get_logger
from shared.messaging.failures import RecordedError
from shared.messaging.streams import decode_entry

log = get_logger(__name__)

EventHandler = Callable[[Envelope, UnitOfWork], Awaitable[None]]


class EventHandlers:
    """Which handler applies which event type, for one service."""

    def __init__(self) -> None:
        self._by_type: dict[str, EventHandler] = {}

    def on(self, *payloads: type[EventPayload]) -> Callable[[EventHandler], EventHandler]:
        def register(handler: EventHandler) -> EventHandler:
            for payload in payloads:
                self._by_type[payload.TYPE] = handler
            return handler

        return register

    def get(self, event_type: str) -> EventHandler | None:
        return self._by_type.get(event_type)

    @property
    def streams(self) -> list[str]:
        return sorted({stream_for(t) for t in self._by_type})

    @property
    def event_types(self) -> list[str]:
        return sorted(self._by_type)


class StreamConsumer:
    def __init__(self, *, service: str, consumer: str, handlers: EventHandlers,
                 unit_of_work: Callable[[], UnitOfWork], redis: Redis) -> None:
        self.service = service
        self.group = service
        self.consumer = consumer
        self.handlers = handlers
        self.unit_of_work = unit_of_work
        self.redis = redis
        self.applied_total = 0
        self.duplicates_total = 0

    def error_key(self, stream: str) -> str:
        return f"tsunagi:errors:{self.group}:{stream}"

    async def apply(self, stream: str, fields: dict[bytes, bytes]) -> bool:
        """Apply one entry exactly once. Returns False when it was already applied (or is
        not this service's concern); raises if it could not be applied."""
        envelope = decode_entry(fields)
        handler = self.handlers.get(envelope.type)
        with structlog.contextvars.bound_contextvars(
            correlation_id=envelope.correlation_id, event_id=envelope.event_id, event_type=envelope.type
        ):
            if handler is None:
                return False  # another service's concern on a shared stream
            try:
                async with self.unit_of_work() as uow:
                    if await uow.already_applied(envelope.event_id):
                        self.duplicates_total += 1
                        log.info("event_duplicate_skipped")
                        return False
                    await uow.mark_applied(envelope, stream)
                    await handler(envelope, uow)
                    await uow.commit()
            except IntegrityError:
                # A concurrent replica applied the same event first: its inbox row won.
                async with self.unit_of_work() as uow:
                    if await uow.already_applied(envelope.event_id):
                        self.duplicates_total += 1
                        log.info("event_duplicate_raced")
                        return False
                raise
            self.applied_total += 1
            log.info("event_applied")
            return True

    async def apply_entries(self, stream: str, entries: Iterable[tuple[bytes, dict[bytes, bytes]]]) -> list[bytes]:
        """Apply entries in order; ack those applied. Returns the ids acked."""
        done: list[bytes] = []
        for message_id, fields in entries:
            try:
                await self.apply(stream, fields)
                done.append(message_id)
            except Exception as exc:
                # Left pending (later entries still go on): reclaimed and retried after a
                # growing idle time, then dead-lettered.
                recorded = RecordedError.of(exc)
                log.warning("event_apply_failed", stream=stream, message_id=message_id.decode(),
                            error_type=type(exc).__name__, error=str(exc)[:300], transient=recorded.transient)
                with contextlib.suppress(Exception):  # Redis down too: the reclaimer copes
                    await self.redis.hset(self.error_key(stream), message_id, recorded.encode())
        if done:
            await self.redis.xack(stream, self.group, *done)
            await self.redis.hdel(self.error_key(stream), *done)
        return done

    def subscribe(self, broker: RedisBroker, *, batch_size: int, poll_interval_ms: int) -> None:
        for stream in self.handlers.streams:
            self._subscribe_one(broker, stream, batch_size, poll_interval_ms)

    def _subscribe_one(self, broker: RedisBroker, stream: str, batch_size: int, poll_interval_ms: int) -> None:
        subscriber = broker.subscriber(
            stream=StreamSub(stream, group=self.group, consumer=self.consumer, batch=True,
                             max_records=batch_size, polling_interval=poll_interval_ms),
            ack_policy=AckPolicy.MANUAL,
            title=f"{stream}:{self.group}",
            description=f"{self.service} applies {stream} events (consumer group {self.group})",
        )

        @subscriber
        async def on_batch(_: list[Any], message: RedisBatchStreamMessage) -> None:
            raw = message.raw_message
            await self.apply_entries(stream, zip(raw["message_ids"], raw["data"], strict=True))
