"""Replaying a dead letter: applied directly through the service's own consumer, on the
service's own database, in one transaction with its inbox row — exactly like a normal
delivery, for that service's group only.

Why not XADD the original back to its stream: every *other* group on that stream would
see the event a second time. They would skip it (their inbox), so it would be harmless,
but it would also count as a republication in ``tsunagi check`` and wake every
consumer for nothing; applying it here touches only the service that failed.

Exactly once: the inbox row makes a second replay (or a replay of an event that was
meanwhile applied) a no-op; the dead letter is then resolved as replayed either way.
A replay that fails again leaves the dead letter where it is and says why."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from shared.clock import Clock
from shared.keyring import KeyRing
from shared.messaging.catalog import load_service, service_engine
from shared.messaging.consumer import StreamConsumer
from shared.messaging.deadletter import DeadLetter, resolve
from shared.messaging.erasure import with_message_erasure
from shared.messaging.failures import RecordedError
from shared.settings import Settings


@dataclass(frozen=True)
class ReplayOutcome:
    letter: DeadLetter
    applied: bool  # False: it had already been applied (the inbox said so)
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


async def replay(settings: Settings, redis: Redis, letter: DeadLetter, *, by: str) -> ReplayOutcome:
    parts, why = load_service(letter.service, settings)
    if parts is None:
        return ReplayOutcome(letter, False, f"service {letter.service}: {why}")
    if letter.get("event_type") and parts.handlers.get(letter.get("event_type")) is None:
        return ReplayOutcome(letter, False, f"{letter.service} no longer applies {letter.get('event_type')}")
    engine = service_engine(settings, letter.service)
    keys = KeyRing.from_settings(settings)
    consumer = StreamConsumer(
        service=letter.service,
        consumer=f"replay:{by}",
        handlers=with_message_erasure(parts.handlers, redis=redis, service=letter.service, outbox=parts.tables.outbox),
        unit_of_work=lambda: parts.unit_of_work(engine, parts.tables, Clock(), keys=keys),
        redis=redis,
        keys=keys,
    )
    try:
        applied = await consumer.apply(letter.get("stream"), letter.original_fields)
    except Exception as exc:
        return ReplayOutcome(letter, False, RecordedError.of(exc).error)
    finally:
        await engine.dispose()
    await resolve(
        redis,
        letter,
        outcome="replayed",
        by=by,
        reason="applied" if applied else "already applied (inbox): nothing changed",
    )
    return ReplayOutcome(letter, applied)
