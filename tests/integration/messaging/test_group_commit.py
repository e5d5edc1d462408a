"""Group commit on a real database (SQLite and PostgreSQL): concurrent commands share
transactions, each is answered only once committed, and a command that breaks a
constraint fails alone."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import create_async_engine

from services.intake.adapters.orm import consultations
from shared.clock import Clock
from shared.db.group_commit import GroupCommit
from tests.integration.messaging.conftest import stage_event


def consultation_row(reference: str | None = None) -> dict:
    return {
        "id": uuid.uuid4().hex[:26],
        "reference": reference or f"TSN-T-{uuid.uuid4().hex[:10]}",
        "reporter_id": "vol-1",
        "reporter_role": "volunteer",
        "channel": "visit",
        "school_district": "不明",
        "categories": ["elderly"],
        "urgency": "normal",
        "consent": "yes",
        "legal_ground": None,
        "person": {"label": "SAMPLE"},
        "household": [],
        "noticed": "SAMPLE",
        "sample": True,
        "received_at": Clock().now(),
        "case_id": None,
    }


async def stored(db) -> tuple[set[str], set[str]]:
    """(consultation references, outbox event ids) in the database."""
    async with db.engine.connect() as session:
        references = set((await session.execute(select(consultations.c.reference))).scalars())
        events = set((await session.execute(select(db.tables.outbox.c.event_id))).scalars())
    return references, events


async def test_concurrent_commands_share_transactions_and_all_commit(intake_db) -> None:
    _settings, db = intake_db
    writes = GroupCommit(db.unit_of_work)
    rows = [consultation_row() for _ in range(40)]
    events = [stage_event() for _ in rows]
    await asyncio.gather(*(writes.insert([(consultations, r)], [e]) for r, e in zip(rows, events, strict=True)))

    references, event_ids = await stored(db)
    assert references == {r["reference"] for r in rows}
    assert event_ids == {e.event_id for e in events}
    assert writes.commands == 40
    # All were queued before the writer's first turn: they share (a few) transactions.
    assert writes.transactions <= 4
    async with db.engine.connect() as session:  # outbox order is the order the commands came in
        ordered = (await session.execute(select(db.tables.outbox.c.event_id).order_by(db.tables.outbox.c.id))).scalars()
        assert list(ordered) == [e.event_id for e in events]


async def test_a_command_that_breaks_a_constraint_fails_alone(intake_db) -> None:
    _settings, db = intake_db
    writes = GroupCommit(db.unit_of_work)
    taken = consultation_row()
    await writes.insert([(consultations, taken)], [stage_event()])

    good = [consultation_row() for _ in range(5)]
    clash = consultation_row(reference=taken["reference"])  # unique reference already stored
    commands = (
        [(r, stage_event()) for r in good[:2]] + [(clash, stage_event())] + [(r, stage_event()) for r in good[2:]]
    )
    results = await asyncio.gather(
        *(writes.insert([(consultations, r)], [e]) for r, e in commands), return_exceptions=True
    )

    assert [type(r) for r in results] == [type(None)] * 2 + [IntegrityError] + [type(None)] * 3
    references, event_ids = await stored(db)
    assert references == {taken["reference"]} | {r["reference"] for r in good}
    clash_event = commands[2][1].event_id
    assert clash_event not in event_ids  # nothing of the failed command was stored
    assert {e.event_id for r, e in commands if r is not clash} <= event_ids


async def test_a_cancelled_caller_does_not_withdraw_its_command(intake_db) -> None:
    _settings, db = intake_db
    writes = GroupCommit(db.unit_of_work)
    first, second = consultation_row(), consultation_row()
    waiting = asyncio.create_task(writes.insert([(consultations, first)], [stage_event()]))
    queued = asyncio.create_task(writes.insert([(consultations, second)], [stage_event()]))
    await asyncio.sleep(0)  # both queued
    queued.cancel()
    await waiting
    with pytest.raises(asyncio.CancelledError):
        await queued
    for _ in range(100):  # the writer goes on with the queue after the first transaction
        references, _events = await stored(db)
        if second["reference"] in references:
            break
        await asyncio.sleep(0.02)
    assert {first["reference"], second["reference"]} <= references


async def test_a_database_error_reaches_every_waiting_command(tmp_path) -> None:
    from services.intake.adapters.orm import messaging
    from shared.db.uow import UnitOfWork

    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'intake.db'}")
    writes = GroupCommit(lambda: UnitOfWork(engine, messaging, Clock()))
    try:
        results = await asyncio.gather(
            *(writes.insert([(consultations, consultation_row())], [stage_event()]) for _ in range(3)),
            return_exceptions=True,
        )
    finally:
        await engine.dispose()
    assert all(isinstance(r, OperationalError) for r in results), results
    assert writes.commands == 0


async def test_a_writer_cancelled_at_shutdown_cancels_its_waiting_callers(intake_db) -> None:
    _settings, db = intake_db
    writes = GroupCommit(db.unit_of_work)
    callers = [
        asyncio.create_task(writes.insert([(consultations, consultation_row())], [stage_event()])) for _ in range(3)
    ]
    await asyncio.sleep(0)  # queued, and the writer started
    assert writes._writer is not None
    writes._writer.cancel()
    results = await asyncio.gather(*callers, return_exceptions=True)
    assert all(isinstance(r, asyncio.CancelledError) for r in results), results
