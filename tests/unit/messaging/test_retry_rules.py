"""The retry rule without Redis: backoff per delivery, when to dead-letter, and which
failures are transient."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from shared.messaging.failures import RecordedError, is_transient
from shared.messaging.reclaim import MAX_BACKOFF_FACTOR, Reclaimer, backoff_ms


def test_backoff_doubles_per_delivery_up_to_a_cap() -> None:
    assert [backoff_ms(100, n) for n in (1, 2, 3, 4)] == [100, 200, 400, 800]
    assert backoff_ms(100, 50) == 100 * MAX_BACKOFF_FACTOR


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionRefusedError("refused"),
        TimeoutError(),
        OperationalError("SELECT 1", {}, Exception("database is locked")),
        OperationalError("SELECT 1", {}, ConnectionRefusedError("Connect call failed")),
    ],
)
def test_infrastructure_failures_are_transient(exc: BaseException) -> None:
    assert is_transient(exc)


@pytest.mark.parametrize(
    "exc",
    [
        ValueError("bad payload"),
        KeyError("case_id"),
        IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed: notes.id")),
        OperationalError("SELECT", {}, Exception("no such table: cases")),
    ],
)
def test_handler_failures_are_not(exc: BaseException) -> None:
    assert not is_transient(exc)


def test_a_transient_cause_inside_a_handler_error_counts() -> None:
    try:
        try:
            raise ConnectionResetError("reset by peer")
        except ConnectionResetError as inner:
            raise RuntimeError("could not save") from inner
    except RuntimeError as outer:
        assert is_transient(outer)


def test_recorded_errors_round_trip_and_tolerate_old_plain_text() -> None:
    recorded = RecordedError.of(ConnectionRefusedError("down"))
    assert RecordedError.decode(recorded.encode().encode()) == recorded
    assert RecordedError.decode(b"ValueError: old format") == RecordedError("ValueError: old format", False)
    assert not RecordedError.decode(None).transient


class FakeRedis:
    def __init__(self, errors: dict[bytes, str]) -> None:
        self.errors = errors

    async def hmget(self, _key: str, fields: list[bytes]) -> list[str | None]:
        return [self.errors.get(f) for f in fields]


class FakeConsumer:
    group = service = "case"
    consumer = "case-1"

    def error_key(self, stream: str) -> str:
        return f"tsunagi:errors:case:{stream}"


def test_due_entries_retry_after_their_backoff_and_dead_letter_at_the_limit() -> None:
    bad = RecordedError("ValueError: bad", False).encode()
    outage = RecordedError("ConnectionRefusedError: down", True).encode()
    reclaimer = Reclaimer(
        FakeConsumer(),
        FakeRedis({b"3": bad, b"4": outage, b"5": outage}),  # type: ignore[arg-type]
        idle_ms=100,
        max_deliveries=3,
    )
    rows = [
        {"message_id": b"1", "times_delivered": 2, "time_since_delivered": 150},  # needs 200: wait
        {"message_id": b"2", "times_delivered": 2, "time_since_delivered": 250},  # retry
        {"message_id": b"3", "times_delivered": 3, "time_since_delivered": 450},  # limit: dead letter
        {"message_id": b"4", "times_delivered": 3, "time_since_delivered": 450},  # transient: retry
        {"message_id": b"5", "times_delivered": 9, "time_since_delivered": 110},  # transient: no backoff
    ]
    retry, dead = asyncio.run(reclaimer._due("tsunagi.case", rows))
    assert retry == [b"2", b"4", b"5"]
    assert list(dead) == [b"3"] and dead[b"3"][0] == 3 and "bad" in dead[b"3"][1].error
