"""Append-only by construction, on SQLite and PostgreSQL: the migrations' triggers refuse
UPDATE and DELETE on the timeline, its checkpoints and the read log; retention's erasure
opens exactly its own cases' timeline and read-log rows, for its own transaction, and
says so in the log. The migration that brought the chain numbers and chains the entries
already there."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from structlog.testing import capture_logs

from services.case.adapters.append_only import erasure
from services.case.adapters.orm import case_reads, timeline, timeline_checkpoints
from services.case.adapters.reads import ReadLog
from services.case.adapters.timeline import timeline_row
from services.case.adapters.verify import verify_chains
from shared.db.engine import make_engine
from shared.db.migrate import migrate, upgrade
from shared.settings import Settings
from tests.support.timelines import append, chain_of, entry, new_case_id

BEFORE_THE_CHAIN = "a7c3e5f19d42"


@pytest.fixture
async def case_db(make_settings, database_backend) -> AsyncIterator[tuple[Settings, AsyncEngine]]:
    settings = make_settings()
    await migrate(settings, "case")
    engine = make_engine(settings, "case")
    yield settings, engine
    await engine.dispose()


async def _with_a_read(engine: AsyncEngine, settings: Settings, case_id: str) -> None:
    await append(engine, chain_of(settings), case_id, 2)
    async with engine.begin() as db:
        await ReadLog(db).record(case_id, "supervisor", "sv-1", "timeline", datetime.now(UTC))


CHANGES = {
    "timeline update": update(timeline).values(actor_id="someone-else"),
    "timeline delete": delete(timeline),
    "checkpoint update": update(timeline_checkpoints).values(seq=99),
    "checkpoint delete": delete(timeline_checkpoints),
    "read log update": update(case_reads).values(reader_id="someone-else"),
    "read log delete": delete(case_reads),
}


@pytest.mark.parametrize("change", list(CHANGES))
async def test_the_triggers_refuse_every_change(case_db, change: str) -> None:
    settings, engine = case_db
    await _with_a_read(engine, settings, new_case_id())
    with pytest.raises(DBAPIError, match="append-only"):
        async with engine.begin() as db:
            await db.execute(CHANGES[change])


async def test_truncate_is_refused_on_postgresql(case_db) -> None:
    settings, engine = case_db
    if settings.database_url is None:
        pytest.skip("SQLite has no TRUNCATE (a DELETE without WHERE meets the triggers)")
    await _with_a_read(engine, settings, new_case_id())
    for table in ("timeline", "case_reads", "case_audit.timeline_checkpoints"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with engine.begin() as db:
                await db.execute(text(f"TRUNCATE {table}"))


async def test_erasure_opens_only_its_cases_rows_for_its_own_transaction(case_db) -> None:
    settings, engine = case_db
    erased, other = new_case_id(), new_case_id()
    await _with_a_read(engine, settings, erased)
    await _with_a_read(engine, settings, other)
    with capture_logs() as logs:
        async with engine.begin() as db, erasure(db, reason="retention-test", case_ids=[erased]):
            await db.execute(update(timeline).where(timeline.c.case_id == erased).values(summary={}))
            await db.execute(delete(case_reads).where(case_reads.c.case_id == erased))
    assert [entry["event"] for entry in logs] == ["append_only_erasure_opened", "append_only_erasure_closed"]
    assert logs[0]["reason"] == "retention-test" and logs[0]["case_ids"] == [erased]
    async with engine.connect() as db:
        summaries = (await db.execute(select(timeline.c.summary).where(timeline.c.case_id == erased))).scalars()
        assert list(summaries) == [{}, {}]
        assert (await db.execute(select(case_reads.c.id).where(case_reads.c.case_id == erased))).first() is None

    refused = {
        "another case's entry": update(timeline).where(timeline.c.case_id == other).values(summary={}),
        "another case's read": delete(case_reads).where(case_reads.c.case_id == other),
        "the checkpoints, even its own": delete(timeline_checkpoints).where(timeline_checkpoints.c.case_id == erased),
    }
    for what, statement in refused.items():
        with pytest.raises(DBAPIError, match="append-only"):
            async with engine.begin() as db, erasure(db, reason="retention-test", case_ids=[erased]):
                await db.execute(statement)
            pytest.fail(f"{what} was changed")
    # Once the erasure's transaction has ended, its cases are append-only again.
    with pytest.raises(DBAPIError, match="append-only"):
        async with engine.begin() as db:
            await db.execute(delete(timeline).where(timeline.c.case_id == erased))


@pytest.mark.empty_database
async def test_the_migration_chains_the_entries_already_there(make_settings, database_backend) -> None:
    settings = make_settings()
    engine = make_engine(settings, "case")
    try:
        await upgrade(engine, "case", BEFORE_THE_CHAIN, settings=settings)
        intact, edited = new_case_id(), new_case_id()
        rows = [timeline_row(*entry(case_id, n), datetime.now(UTC)) for n in range(3) for case_id in (intact, edited)]
        async with engine.begin() as db:
            for row in reversed(rows):  # stored out of order: the chain follows the event ids
                await db.execute(insert(timeline).values(**row))
            # An entry changed before the chain existed stays caught: its stored hash is chained.
            await db.execute(
                update(timeline).where(timeline.c.event_id == rows[3]["event_id"]).values(summary={"x": 1})
            )
        await upgrade(engine, "case", "head", settings=settings)
        async with engine.connect() as db:
            numbered = (
                await db.execute(
                    select(timeline.c.event_id, timeline.c.seq)
                    .where(timeline.c.case_id == intact)
                    .order_by(timeline.c.seq)
                )
            ).all()
            assert [e for e, _s in numbered] == sorted(r["event_id"] for r in rows if r["case_id"] == intact)
            assert [s for _e, s in numbered] == [1, 2, 3]
            results = {r.case_id: r async for r in verify_chains(db, chain_of(settings).key)}
        assert results[intact].intact and results[intact].entries == 3
        broken = results[edited].broken
        seq_of_changed = sorted(r["event_id"] for r in rows if r["case_id"] == edited).index(rows[3]["event_id"]) + 1
        assert broken is not None and (broken.kind, broken.seq, broken.event_id) == (
            "edited",
            seq_of_changed,
            rows[3]["event_id"],
        )
        # New entries continue the migrated chain.
        await append(engine, chain_of(settings), intact, 1)
        async with engine.connect() as db:
            results = {r.case_id: r async for r in verify_chains(db, chain_of(settings).key, [intact])}
        assert results[intact].intact and results[intact].entries == 4
        with pytest.raises(DBAPIError, match="append-only"):
            async with engine.begin() as db:
                await db.execute(delete(timeline))
    finally:
        await engine.dispose()
