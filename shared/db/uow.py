"""The unit of work: one transaction per command. A handler loads, asks the domain,
saves, and records its outgoing events in the outbox — all committed together.

``uow.db`` is a Core ``AsyncConnection``, not an ORM session: every table here is a Core
``Table`` and every statement a Core one, so the session's unit-of-work machinery
(identity map, autoflush, bind resolution on each execute) would be pure cost."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, Protocol

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.clock import Clock
from shared.db.sql import insert_new, insert_rows
from shared.db.tables import MessagingTables
from shared.events import EVENT_TYPES, Envelope, stream_for
from shared.events.personal import Sealer, personal_fields, seal_payload


class UnitOfWorkFactory(Protocol):
    """``UnitOfWork`` itself, or a service's own kind (the case service's chains its timeline)."""

    def __call__(
        self,
        engine: AsyncEngine,
        tables: MessagingTables,
        clock: Clock,
        outbox_signal: asyncio.Event | None = None,
        *,
        keys: Sealer | None = None,
    ) -> UnitOfWork: ...


class UnitOfWork:
    def __init__(
        self,
        engine: AsyncEngine,
        tables: MessagingTables,
        clock: Clock,
        outbox_signal: asyncio.Event | None = None,
        *,
        keys: Sealer | None = None,
    ) -> None:
        self._engine = engine
        self._tables = tables
        self.clock = clock
        self._signal = outbox_signal
        # Seals the personal fields of what it publishes; None only where nothing it
        # publishes has any (the console's account events), else ``commit`` refuses.
        self.keys = keys
        self._pending_events: list[Envelope] = []
        self._commit_refusal: Callable[[], Exception] | None = None
        self.db: AsyncConnection

    async def __aenter__(self) -> UnitOfWork:
        self.db = await self._engine.connect().start()
        self._pending_events = []
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self.db.in_transaction():
                await self.db.rollback()
        finally:
            await self.db.close()

    def publish(self, *events: Envelope) -> None:
        """Record events to publish once this unit of work commits (the outbox)."""
        self._pending_events.extend(events)

    @property
    def published(self) -> tuple[Envelope, ...]:
        return tuple(self._pending_events)

    async def already_applied(self, event_id: str) -> bool:
        inbox = self._tables.inbox
        row = await self.db.execute(select(inbox.c.event_id).where(inbox.c.event_id == event_id))
        return row.first() is not None

    async def mark_applied(self, envelope: Envelope, stream: str) -> None:
        """Insert into the inbox; a concurrent duplicate fails on the primary key."""
        await self.db.execute(
            insert(self._tables.inbox),
            dict(event_id=envelope.event_id, event_type=envelope.type, stream=stream, applied_at=self.clock.now()),
        )

    async def mark_applied_new(self, envelopes: Iterable[Envelope], stream: str) -> set[str]:
        """Insert the inbox rows of several events in one statement (an event twice: one
        row); returns the ids it inserted. An id it did not insert was applied before, or
        by a racing replica that committed first."""
        now = self.clock.now()
        rows = {
            e.event_id: {"event_id": e.event_id, "event_type": e.type, "stream": stream, "applied_at": now}
            for e in envelopes
        }
        inbox = self._tables.inbox
        return await insert_new(self.db, inbox, list(rows.values()), inbox.c.event_id)

    def refuse_commit(self, error: Callable[[], Exception] | None) -> None:
        """While set, ``commit`` raises ``error()`` and commits nothing (the consumer's batch
        path: a handler that commits would end the whole batch's transaction). Handlers
        end a transaction only through ``commit``, never on ``db`` directly."""
        self._commit_refusal = error

    def _sealed(self, envelope: Envelope) -> dict[str, Any]:
        """The outbox row's JSON: the relay publishes it as it is, so the stream carries
        this same ciphertext."""
        row = envelope.model_dump(mode="json")
        model = EVENT_TYPES.get(envelope.type)
        if model is not None and personal_fields(model):
            if self.keys is None:
                raise RuntimeError(f"{envelope.type} has personal fields to seal and this unit of work has no key ring")
            row["payload"] = seal_payload(model, row["payload"], self.keys)
        return row

    async def before_commit(self) -> None:
        """A service's own last writes of the transaction (case: the timeline's chain)."""

    async def commit(self) -> None:
        if self._commit_refusal is not None:
            raise self._commit_refusal()
        await self.before_commit()
        if self._pending_events:
            now = self.clock.now()
            await insert_rows(
                self.db,
                self._tables.outbox,
                [
                    {
                        "event_id": e.event_id,
                        "event_type": e.type,
                        "stream": stream_for(e.type),
                        "aggregate_id": e.aggregate_id,
                        "envelope": self._sealed(e),
                        "created_at": now,
                        "attempts": 0,
                    }
                    for e in self._pending_events
                ],
            )
        await self.db.commit()
        if self._pending_events and self._signal is not None:
            self._signal.set()
        self._pending_events = []
