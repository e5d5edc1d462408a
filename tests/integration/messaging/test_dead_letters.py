"""A poison message: retried with backoff, dead-lettered after the limit with its error,
attempt count and original envelope while the rest flow on; then replayed once after
the fix, or discarded with a recorded reason — through the real ``tsunagi dlq``."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from services.intake.adapters.orm import consultations, messaging
from services.intake.entrypoints.consumers import event_handlers
from shared.messaging.streams import dead_letter_stream, decode_entry
from shared.settings import PROJECT_ROOT
from tests.integration.messaging.conftest import case_opened_for, publish
from tests.support.services import bearer, eventually, running_service

EXAMPLE = json.loads((PROJECT_ROOT / "examples" / "consultation.json").read_text(encoding="utf-8"))
DLQ = dead_letter_stream("intake")


async def submit(intake, settings, count: int) -> list:
    reporter = bearer(settings, "reporter", "vol-1")
    for _ in range(count):
        assert (await intake.post("/v1/consultations", json=EXAMPLE, headers=reporter)).status_code == 201
    runtime = intake.app.state.services.runtime
    await eventually(lambda: _zero(runtime.relay.backlog()), what="consultations published")
    return [decode_entry(f) for _i, f in await runtime.redis.xrange("tsunagi.consultation")]


async def _zero(awaitable) -> bool:
    return await awaitable == 0


async def case_of(runtime, consultation_id: str) -> str | None:
    async with runtime.engine.connect() as session:
        return (
            await session.execute(select(consultations.c.case_id).where(consultations.c.id == consultation_id))
        ).scalar_one()


async def inbox_count(runtime, event_id: str) -> int:
    async with runtime.engine.connect() as session:
        return (
            await session.execute(
                select(func.count()).select_from(messaging.inbox).where(messaging.inbox.c.event_id == event_id)
            )
        ).scalar_one()


def fail_for(monkeypatch: pytest.MonkeyPatch, consultation_id: str) -> None:
    """A bug: intake's case.opened handler fails for one consultation."""
    real = event_handlers.get("case.opened")

    async def buggy(envelope, uow) -> None:
        if envelope.payload["consultation_id"] == consultation_id:
            raise RuntimeError(f"bug: cannot link {consultation_id}")
        await real(envelope, uow)

    monkeypatch.setitem(event_handlers._by_type, "case.opened", buggy)


async def test_poison_is_dead_lettered_while_others_flow_then_replayed_once(
    make_settings, database_backend, monkeypatch, tsunagi
) -> None:
    settings = make_settings(max_deliveries=3, reclaim_idle_ms=100, reclaim_interval_s=0.05)
    async with running_service("intake", settings) as intake:
        runtime = intake.app.state.services.runtime
        submitted = await submit(intake, settings, 3)
        poison = submitted[1]
        fail_for(monkeypatch, poison.payload["consultation_id"])
        opened = [case_opened_for(s) for s in submitted]
        await publish(settings.redis_url, "tsunagi.case", *opened)

        # The others are applied at once; the poison is retried, then dead-lettered.
        for s in (submitted[0], submitted[2]):
            await eventually(lambda s=s: case_of(runtime, s.payload["consultation_id"]), what="others applied")
        entries = await eventually(lambda: runtime.redis.xrange(DLQ), what="dead letter")
        assert len(entries) == 1
        fields = {k.decode(): v.decode() for k, v in entries[0][1].items()}
        assert fields["attempts"] == "3"
        assert "bug: cannot link" in fields["error"]
        assert fields["event_id"] == opened[1].event_id and fields["event_type"] == "case.opened"
        assert json.loads(fields["envelope"])["payload"]["consultation_id"] == poison.payload["consultation_id"]
        assert (await runtime.redis.xpending("tsunagi.case", "intake"))["pending"] == 0
        assert await case_of(runtime, poison.payload["consultation_id"]) is None

        code, out = await tsunagi(settings, "dlq", "list")
        ref = f"intake/{entries[0][0].decode()}"
        assert code == 0 and ref in out and "case.opened" in out and "bug: cannot link" in out
        code, out = await tsunagi(settings, "dlq", "show", ref, "--json")
        assert code == 0 and json.loads(out)["envelope"]["event_id"] == opened[1].event_id

        # The fix is deployed; the operator replays it: applied once.
        monkeypatch.undo()
        code, out = await tsunagi(settings, "dlq", "replay", ref)
        assert code == 0, out
        assert f"{ref} case.opened: applied" in out
        assert await case_of(runtime, poison.payload["consultation_id"]) == opened[1].payload["case_id"]
        assert await inbox_count(runtime, opened[1].event_id) == 1
        assert await runtime.redis.xlen(DLQ) == 0

        # Replaying again finds nothing; applying the original again changes nothing.
        assert (await tsunagi(settings, "dlq", "replay", ref))[0] != 0
        assert await runtime.consumer.apply("tsunagi.case", _original(fields)) is False
        assert await inbox_count(runtime, opened[1].event_id) == 1
        code, out = await tsunagi(settings, "dlq", "history")
        assert "replayed" in out and ref in out and "test-operator" in out


def _original(fields: dict[str, str]) -> dict[bytes, bytes]:
    from shared.messaging.deadletter import decode_fields

    return decode_fields(fields["original"])


async def test_a_discarded_dead_letter_records_who_and_why(make_settings, monkeypatch, tsunagi) -> None:
    settings = make_settings(max_deliveries=2, reclaim_idle_ms=100, reclaim_interval_s=0.05)
    async with running_service("intake", settings) as intake:
        runtime = intake.app.state.services.runtime
        submitted = await submit(intake, settings, 1)
        fail_for(monkeypatch, submitted[0].payload["consultation_id"])
        await publish(settings.redis_url, "tsunagi.case", case_opened_for(submitted[0]))
        entries = await eventually(lambda: runtime.redis.xrange(DLQ), what="dead letter")
        assert entries[0][1][b"attempts"] == b"2"

        ref = f"intake/{entries[0][0].decode()}"
        code, out = await tsunagi(settings, "dlq", "discard", ref, "--reason", "test data sent by mistake")
        assert code == 0 and "discarded" in out
        assert await runtime.redis.xlen(DLQ) == 0
        code, out = await tsunagi(settings, "dlq", "history", "--json")
        record = json.loads(out)[0]
        assert record["outcome"] == "discarded" and record["reason"] == "test data sent by mistake"
        assert record["by"] == "test-operator" and record["dead_letter"] == ref
        assert record["event_type"] == "case.opened"
        assert (await tsunagi(settings, "dlq", "list"))[1].startswith("no dead letters")
