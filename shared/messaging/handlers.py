"""Which handler applies which event type, for one service: the registry a consumer
(``consumer.py``) reads.

**Batch handlers.** A handler registered with ``EventHandlers.on_batch`` receives every
consecutive entry of its types in a batch at once (a list of envelopes, stream order), so
it can read what they all need in one query and write their rows with one executemany
per table. Outside a batch (one entry, the one-by-one path, a replay) it gets a list of
one. If it raises, the batch goes down the one-by-one path, which finds the poison entry."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from shared.db.uow import UnitOfWork
from shared.events import Envelope, EventPayload, stream_for

EventHandler = Callable[[Envelope, UnitOfWork], Awaitable[None]]
BatchHandler = Callable[[list[Envelope], UnitOfWork], Awaitable[None]]


@dataclass(frozen=True)
class Batched:
    """A batch handler, callable as an ordinary one (a list of one envelope)."""

    handle: BatchHandler

    async def __call__(self, envelope: Envelope, uow: UnitOfWork) -> None:
        await self.handle([envelope], uow)


class EventHandlers:
    """Which handler applies which event type, for one service."""

    def __init__(self, base: EventHandlers | None = None) -> None:
        self._by_type: dict[str, EventHandler] = {}
        self._background: set[str] = set()
        # ``replaced``'s registry: what it does not override is looked up in ``base``, live.
        self._base = base

    def on(self, *payloads: type[EventPayload]) -> Callable[[EventHandler], EventHandler]:
        def register(handler: EventHandler) -> EventHandler:
            for payload in payloads:
                self._by_type[payload.TYPE] = handler
            return handler

        return register

    def on_batch(self, *payloads: type[EventPayload]) -> Callable[[BatchHandler], BatchHandler]:
        """Like ``on``, for a handler that applies consecutive entries together."""

        def register(handler: BatchHandler) -> BatchHandler:
            self.on(*payloads)(Batched(handler))
            return handler

        return register

    def in_background(self, *families: str) -> None:
        """This service applies these families' streams off any request's critical path
        (a status shown to a reporter, a notification, a timeline note, the case facts
        referral keeps): see ``subscription.py`` — under steady load they are applied
        several at a time."""
        self._background.update(stream_for(f) for f in families)

    @property
    def background_streams(self) -> frozenset[str]:
        return frozenset(self._background | (self._base.background_streams if self._base else set()))

    def get(self, event_type: str) -> EventHandler | None:
        own = self._by_type.get(event_type)
        return own if own is not None or self._base is None else self._base.get(event_type)

    def replaced(self, event_type: str, handler: EventHandler) -> EventHandlers:
        """These handlers, but ``handler`` applies ``event_type``. This registry stays as
        it is (it may be a module's, shared by every runtime in the process) and is read
        through for every other type."""
        overlay = EventHandlers(base=self)
        overlay._by_type[event_type] = handler
        return overlay

    @property
    def event_types(self) -> list[str]:
        return sorted({*self._by_type, *(self._base.event_types if self._base else ())})

    @property
    def streams(self) -> list[str]:
        return sorted({stream_for(t) for t in self.event_types})
