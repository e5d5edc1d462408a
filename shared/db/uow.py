"""The unit of work: one transaction per command. A handler loads, asks the domain,
saves, and records its outgoing events in the outbox — all committed together."""

from __future__ import annotations

import asyncio
from types import TracebackType

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.clock import Clock
from shared.db.sql import insert_rows
from shared.db.tables import MessagingTables
from shared.events import Envelope, stream_for


class UnitOfWork:
    def __init__(self, sessions: async_sessionmaker, tables: MessagingTables, clock: Clock,
                 outbox_signal: asyncio.Event | None = None) -> None:
        self._sessions = sessions
        self._tables = tables
        self.clock = clock
        self._signal = outbox_signal
        self._pending_events: list[Envelope] = []
        self.session: AsyncSession

    async def __aenter__(self) -> "UnitOfWork":
        self.session = self._sessions()
        self._pending_events = []
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        try:
            if self.session.in_transaction():
                await self.session.rollback()
        finally:
            await self.session.close()

    def publish(self, *events: Envelope) -> None:
        """Record events to publish once this unit of work commits (the outbox)."""
        self._pending_events.extend(events)

    @property
    def published(self) -> tuple[Envelope, ...]:
        return tuple(self._pending_events)

    async def already_applied(self, event_id: str) -> bool:
        inbox = self._tables.inbox
        row = await self.session.execute(select(inbox.c.event_id).where(inbox.c.event_id == event_id))
        return row.first() is not None

    async def mark_applied(self, envelope: Envelope, stream: str) -> None:
        """Insert into the inbox; a concurrent duplicate fails on the primary key."""
        await self.session.execute(insert(self._tables.inbox), dict(
            event_id=envelope.event_id, event_type=envelope.type, stream=stream,
            applied_at=self.clock.now()))

    async def commit(self) -> None:
        if self._pending_events:
            now = self.clock.now()
            await insert_rows(self.session, self._tables.outbox, [
                {
                    "event_id": e.event_id,
                    "event_type": e.type,
                    "stream": stream_for(e.type),
                    "aggregate_id": e.aggregate_id,
                    "envelope": e.model_dump(mode="json"),
                    "created_at": now,
                    "attempts": 0,
                }
                for e in self._pending_events
            ])
        await self.session.commit()
        if self._pending_events and self._signal is not None:
            self._signal.set()
        self._pending_events = []
