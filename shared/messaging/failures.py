"""What a failed apply leaves behind for the reclaim loop: the last error per pending
entry (hash ``tsunagi:errors:<group>:<stream>``) and whether it was *transient* —
the database or Redis unreachable — rather than the handler failing on this event.

Transient failures are retried for as long as they last and never dead-letter an
event: a PostgreSQL restart must not fill the dead-letter stream with good events."""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass

from pydantic import ValidationError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, DisconnectionError, StatementError

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


def error_text(exc: BaseException, limit: int = 1000) -> str:
    """What went wrong, without the values that went in: it is kept in dead letters and
    logs, which must never carry a name or a note. A validation error keeps each error's
    location, type and message (pydantic's text repeats the input); a database error its
    driver's first line (SQLAlchemy appends the statement's parameters, PostgreSQL a
    DETAIL line with the key's value)."""
    if isinstance(exc, ValidationError):
        lines = [f"{exc.error_count()} validation error(s) for {exc.title}"]
        for error in exc.errors(include_input=False, include_url=False, include_context=False):
            where = ".".join(str(part) for part in error["loc"]) or "(payload)"
            lines.append(f"{where}: {error['msg']} [type={error['type']}]")
        text = "\n".join(lines)
    elif isinstance(exc, StatementError) and exc.orig is not None:
        first = str(exc.orig).strip().splitlines()
        text = f"{type(exc.orig).__name__}: {first[0] if first else ''}"
    else:
        text = str(exc)
    return f"{type(exc).__name__}: {text[:limit]}"


@dataclass(frozen=True)
class RecordedError:
    error: str
    transient: bool

    def encode(self) -> str:
        return json.dumps({"error": self.error, "transient": self.transient}, ensure_ascii=False)

    @classmethod
    def of(cls, exc: BaseException) -> RecordedError:
        return cls(error_text(exc), is_transient(exc))

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
