"""Idempotent stream consumers.

Each service is one consumer group per stream; each process is one consumer with a
unique name. Every entry is applied together with its inbox row in one transaction (so
a redelivery changes nothing) and acked only after that commit. An entry that fails
stays pending with its error recorded (``failures.py``) and does not hold up the
entries after it in the batch; the reclaim loop (``reclaim.py``) retries it with a
growing idle time and dead-letters it after ``max_deliveries``.

**Batched application.** The entries of one batch that this service handles are
applied in ONE unit of work: one inbox INSERT … ON CONFLICT DO NOTHING RETURNING for
all of them (an entry it did not insert was applied before, or by a racing replica
that committed first, and is skipped), every handler in stream order in the same
session (so a handler sees the effects of the entries before it, as it would after
their commits), the events they publish written to the outbox in that order, one
commit, one XACK. If anything fails the batch is rolled back and its entries go through
the one entry per transaction path (``apply``), which isolates a poison entry exactly
as before. A handler that raises an ordinary exception is not run a second time for the
same delivery: its error is recorded and the others are applied one by one. A database
error or a handler that tries to end the transaction itself (``uow.commit``, refused
inside a batch; handlers never commit ``uow.db`` directly) sends the whole batch down the
one-by-one path, where each entry has its own transaction boundary as before.

Which handler applies which type, batch handlers included: ``handlers.py``. ``apply`` is
also what ``tsunagi dlq replay`` calls, on the service's own database."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable

import structlog
from redis.asyncio import Redis
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from shared.db.uow import UnitOfWork
from shared.events import Envelope
from shared.events.personal import Sealer
from shared.logging import get_logger
from shared.messaging.failures import RecordedError, error_text
from shared.messaging.handlers import Batched, EventHandler, EventHandlers
from shared.messaging.streams import decode_entry
from shared.tracing import NO_SPANS, StreamSpans

log = get_logger(__name__)


class _TransactionEndedByHandler(RuntimeError):
    """A handler tried to commit (or release a savepoint) inside a batch: it relies on its
    own transaction boundary, so the batch is applied one entry per transaction."""


class _EntryFailed(Exception):
    """The handler of one entry of a batch raised."""

    def __init__(self, index: int, error: Exception) -> None:
        super().__init__(str(error))
        self.index = index
        self.error = error


class StreamConsumer:
    def __init__(
        self,
        *,
        service: str,
        consumer: str,
        handlers: EventHandlers,
        unit_of_work: Callable[[], UnitOfWork],
        redis: Redis,
        spans: StreamSpans = NO_SPANS,
        keys: Sealer | None = None,
    ) -> None:
        self.service = service
        self.group = service
        self.consumer = consumer
        self.handlers = handlers
        self.unit_of_work = unit_of_work
        self.redis = redis
        self.spans = spans  # a span per applied event (shared/tracing/context.py); none when off
        self.keys = keys  # opens the personal fields a handler asks for (Envelope.payload_as)
        self.applied_total = 0
        self.duplicates_total = 0

    def error_key(self, stream: str) -> str:
        return f"tsunagi:errors:{self.group}:{stream}"

    async def apply(self, stream: str, fields: dict[bytes, bytes]) -> bool:
        """Apply one entry exactly once. Returns False when it was already applied (or is
        not this service's concern); raises if it could not be applied."""
        envelope = decode_entry(fields, self.keys)
        handler = self.handlers.get(envelope.type)
        with structlog.contextvars.bound_contextvars(
            correlation_id=envelope.correlation_id, event_id=envelope.event_id, event_type=envelope.type
        ):
            if handler is None:
                return False  # another service's concern on a shared stream
            try:
                with self.spans.applying(stream, (envelope,)) as spans:
                    async with self.unit_of_work() as uow:
                        if await uow.already_applied(envelope.event_id):
                            self.duplicates_total += 1
                            spans.duplicate(envelope)
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

    async def apply_entries(
        self, stream: str, entries: Iterable[tuple[bytes, dict[bytes, bytes]]], *, first_delivery: bool = False
    ) -> list[bytes]:
        """Apply entries in order (in one transaction when possible); ack those applied.
        Returns the ids acked. ``first_delivery``: the entries were just read with ``>``,
        so none can have an error recorded by an earlier attempt to clear."""
        entries = list(entries)
        done: list[bytes] | None = None
        failures: dict[int, Exception] = {}
        if entries:
            try:
                done = await self._apply_batch(stream, entries)
            except _EntryFailed as failed:
                # An ordinary handler error: that entry stays pending with this error (its
                # handler already ran for this delivery); the others go one by one.
                failures[failed.index] = failed.error
            except Exception as exc:  # every other failure: all one by one
                log.info(
                    "event_batch_fallback",
                    stream=stream,
                    entries=len(entries),
                    error_type=type(exc).__name__,
                    error=error_text(exc, 300),
                )
        if done is None:
            done = []
            for index, (message_id, fields) in enumerate(entries):
                try:
                    if index in failures:
                        raise failures[index]
                    await self.apply(stream, fields)
                    done.append(message_id)
                except Exception as exc:
                    await self._record_failure(stream, message_id, exc)
        if done and first_delivery:
            await self.redis.xack(stream, self.group, *done)
        elif done:
            async with self.redis.pipeline(transaction=False) as pipe:  # one round trip
                pipe.xack(stream, self.group, *done)
                pipe.hdel(self.error_key(stream), *done)
                await pipe.execute()
        return done

    async def _record_failure(self, stream: str, message_id: bytes, exc: Exception) -> None:
        # Left pending (later entries still go on): reclaimed and retried after a growing
        # idle time, then dead-lettered.
        recorded = RecordedError.of(exc)
        log.warning(
            "event_apply_failed",
            stream=stream,
            message_id=message_id.decode(),
            error_type=type(exc).__name__,
            error=recorded.error[:300],
            transient=recorded.transient,
        )
        with contextlib.suppress(Exception):  # Redis down too: the reclaimer copes
            await self.redis.hset(self.error_key(stream), message_id, recorded.encode())

    async def _apply_batch(self, stream: str, entries: list[tuple[bytes, dict[bytes, bytes]]]) -> list[bytes]:
        """Apply the entries in one unit of work; returns every id to ack. Raises
        ``_EntryFailed`` when one handler raised an ordinary exception, anything else
        for a failure the one-by-one path must sort out. Nothing is committed when it
        raises."""
        plan: list[tuple[int, Envelope, EventHandler]] = []
        for index, (_message_id, fields) in enumerate(entries):
            envelope = decode_entry(fields, self.keys)  # a bad entry: the one-by-one path isolates it
            handler = self.handlers.get(envelope.type)
            if handler is not None:  # otherwise another service's concern: acked
                plan.append((index, envelope, handler))
        ids = [m for m, _f in entries]
        if not plan:
            return ids
        with self.spans.applying(stream, (e for _i, e, _h in plan)) as spans:
            todo, duplicates = await self._apply_planned(stream, plan, spans)
        self.duplicates_total += duplicates
        self.applied_total += len(todo)
        for _index, envelope, _handler in todo:
            log.info(
                "event_applied",
                correlation_id=envelope.correlation_id,
                event_id=envelope.event_id,
                event_type=envelope.type,
            )
        return ids

    async def _apply_planned(
        self, stream: str, plan: list[tuple[int, Envelope, EventHandler]], spans: StreamSpans
    ) -> tuple[list[tuple[int, Envelope, EventHandler]], int]:
        """``_apply_batch``'s transaction; returns the entries applied and how many were
        duplicates."""
        async with self.unit_of_work() as uow:
            new = await uow.mark_applied_new((e for _i, e, _h in plan), stream)
            todo: list[tuple[int, Envelope, EventHandler]] = []
            duplicates = 0
            for index, envelope, handler in plan:
                if envelope.event_id not in new:  # applied before, by a replica, or twice in this batch
                    duplicates += 1
                    spans.duplicate(envelope)
                    log.info(
                        "event_duplicate_skipped",
                        correlation_id=envelope.correlation_id,
                        event_id=envelope.event_id,
                        event_type=envelope.type,
                    )
                    continue
                new.discard(envelope.event_id)
                todo.append((index, envelope, handler))
            if todo:
                uow.refuse_commit(lambda: _TransactionEndedByHandler("a handler ended the transaction inside a batch"))
                for group in _runs(todo):
                    index, envelope, handler = group[0]
                    if isinstance(handler, Batched):
                        # Which entry failed is unknown: the one-by-one path finds it.
                        with spans.events(e for _i, e, _h in group):
                            await handler.handle([e for _i, e, _h in group], uow)
                        continue
                    with structlog.contextvars.bound_contextvars(
                        correlation_id=envelope.correlation_id,
                        event_id=envelope.event_id,
                        event_type=envelope.type,
                    ):
                        try:
                            with spans.events((envelope,)):
                                await handler(envelope, uow)
                        except (SQLAlchemyError, _TransactionEndedByHandler):
                            raise  # the transaction itself: every entry one by one
                        except Exception as exc:
                            raise _EntryFailed(index, exc) from exc
                uow.refuse_commit(None)
                await uow.commit()
        return todo, duplicates


def _runs(todo: list[tuple[int, Envelope, EventHandler]]) -> list[list[tuple[int, Envelope, EventHandler]]]:
    """Consecutive entries of one batch handler together; every other entry alone."""
    runs: list[list[tuple[int, Envelope, EventHandler]]] = []
    for item in todo:
        handler = item[2]
        if runs and isinstance(handler, Batched) and runs[-1][0][2] == handler:
            runs[-1].append(item)
        else:
            runs.append([item])
    return runs
