"""What a failed apply leaves behind for the reclaim loop: the last error per pending
entry (hash ``tsunagi:errors:<group>:<stream>``) and whether it was *transient* —
the database or Redis unreachable — rather than the handler failing on this event.

Transient failures are retried for as long as they last and never dead-letter an
event: a PostgreSQL restart must not fill the dead-letter stream with good events."""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, DisconnectionError

TRANSIENT_TYPES = (
    ConnectionError,
    TimeoutError,
    socket.gaierror,
    DisconnectionError,
    RedisConnectionError,
    RedisTimeoutError,
)

TRANSIENT_MARKERS = (
    "database is locked",
    "connection was closed",
    "cannot connect now",
    "connection refused",
    "the database system is",
    "terminating connection",
)


def is_transient(exc: BaseException) -> bool:
    """True when the failure says "try again later", not "this event is bad"."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, TRANSIENT_TYPES):
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        if any(marker in str(current).lower() for marker in TRANSIENT_MARKERS):
            return True
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else (current.__cause__ or current.__context__)
    return False


@dataclass(frozen=True)
class RecordedError:
    error: str
    transient: bool

    def encode(self) -> str:
        return json.dumps({"error": self.error, "transient": self.transient}, ensure_ascii=False)

    @classmethod
    def of(cls, exc: BaseException) -> RecordedError:
        return cls(f"{type(exc).__name__}: {str(exc)[:1000]}", is_transient(exc))

    @classmethod
    def decode(cls, raw: bytes | str | None) -> RecordedError:
        if raw is None:
            return cls("unknown (the consumer stopped before recording an error)", False)
        text = raw.decode() if isinstance(raw, bytes) else raw
        try:
            data = json.loads(text)
            return cls(str(data["error"]), bool(data.get("transient", False)))
        except (ValueError, KeyError, TypeError):
            return cls(text, False)
