"""The one envelope every Tsunagi event travels in."""

from __future__ import annotations

import builtins
import threading
from datetime import datetime
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr
from ulid import ULID

from shared.clock import utcnow
from shared.events.personal import Sealer, open_tree
from shared.tracing import trace_carrier

Role = Literal["reporter", "coordinator", "agency", "supervisor", "helper", "account_admin", "system"]


_last_id = 0
_id_lock = threading.Lock()


def new_event_id() -> str:
    """Unique and sortable by time (ULID), and strictly increasing within a process:
    two events made in the same millisecond still sort in the order they were made,
    so "the later event wins" rules hold for one producer."""
    global _last_id
    with _id_lock:
        value = int(ULID())
        if value <= _last_id:
            value = _last_id + 1
        _last_id = value
        return str(ULID.from_int(value))


class Actor(BaseModel):
    """Who did it, in which role. ``id`` is an identifier, never a person's name."""

    model_config = ConfigDict(frozen=True)

    role: Role
    id: str


SYSTEM = Actor(role="system", id="tsunagi")


class EventPayload(BaseModel):
    """Base of every event's payload. Subclasses declare their type and version once;
    changes are additive (new optional fields), a breaking change is a new version.
    ``PUBLISHER`` names the one service that publishes the type (its AsyncAPI ``send``)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1
    AGGREGATE: ClassVar[str]
    PUBLISHER: ClassVar[str]

    @classmethod
    def family(cls) -> str:
        return cls.TYPE.split(".", 1)[0]


P = TypeVar("P", bound=EventPayload)


class Envelope(BaseModel):
    """What every stream entry carries: the event's identity, time, aggregate, causes and actor;
    ``payload`` holds the fields of the schema that ``type`` and ``schema_version`` name."""

    model_config = ConfigDict(frozen=True)

    event_id: str = Field(default_factory=new_event_id)
    type: str
    schema_version: int = 1
    occurred_at: datetime = Field(default_factory=utcnow)
    aggregate_type: str
    aggregate_id: str
    case_id: str | None = None
    correlation_id: str
    causation_id: str | None = None
    actor: Actor
    payload: dict[str, Any]
    # W3C trace context (traceparent, tracestate) of the span that recorded the event, so
    # its consumers' spans join the same trace. Left out of the JSON when tracing is off.
    trace: dict[str, str] | None = Field(default=None, exclude_if=lambda value: value is None)
    # The key ring that opens the payload's sealed personal fields (set by whoever decoded
    # the entry from a stream); never serialised.
    _keys: Sealer | None = PrivateAttr(default=None)

    def opened_with(self, keys: Sealer | None) -> Envelope:
        """This envelope, its sealed fields to be opened with ``keys`` when a handler asks."""
        self._keys = keys
        return self

    @classmethod
    def wrap(
        cls,
        payload: EventPayload,
        *,
        aggregate_id: str,
        actor: Actor,
        correlation_id: str,
        causation_id: str | None = None,
        case_id: str | None = None,
        occurred_at: datetime | None = None,
    ) -> Envelope:
        extra: dict[str, Any] = {"occurred_at": occurred_at} if occurred_at else {}
        trace = trace_carrier(causation_id)
        if trace:
            extra["trace"] = trace
        return cls(
            type=payload.TYPE,
            schema_version=payload.VERSION,
            aggregate_type=payload.AGGREGATE,
            aggregate_id=aggregate_id,
            case_id=case_id,
            correlation_id=correlation_id,
            causation_id=causation_id,
            actor=actor,
            payload=payload.model_dump(mode="json"),
            **extra,
        )

    def caused(
        self,
        payload: EventPayload,
        *,
        aggregate_id: str,
        actor: Actor,
        case_id: str | None = None,
        occurred_at: datetime | None = None,
    ) -> Envelope:
        """An event caused by this one: same correlation id, causation = this event."""
        return Envelope.wrap(
            payload,
            aggregate_id=aggregate_id,
            actor=actor,
            correlation_id=self.correlation_id,
            causation_id=self.event_id,
            case_id=case_id if case_id is not None else self.case_id,
            occurred_at=occurred_at,
        )

    def payload_as(self, model: builtins.type[P]) -> P:  # in this class ``type`` names the field
        if model.TYPE != self.type:
            raise ValueError(f"envelope holds {self.type}, not {model.TYPE}")
        # Only the personal fields ``model`` declares are opened, and only now.
        return model.model_validate(self.payload, context={"keys": self._keys})

    def opened(self, part: Any) -> Any:
        """A part of the raw payload (a dict, a list, a value) with its sealed values opened,
        for a handler that keeps the payload untyped."""
        return open_tree(part, self._keys)

    @property
    def family(self) -> str:
        return self.type.split(".", 1)[0]
