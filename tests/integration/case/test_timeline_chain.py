"""The case timelines' hash chains on SQLite and PostgreSQL: appended entries verify;
an attacker who can switch the append-only triggers off and edit, delete, insert,
reorder or truncate entries, or mark an entry erased with no record of the erasure
after it, is named by ``tsunagi verify`` (exit 1), the other cases still verify;
appenders racing on one case still make one chain."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.case.adapters.orm import timeline, timeline_checkpoints
from services.case.adapters.timeline import timeline_row
from services.case.domain.timeline import content_hash
from shared.clock import as_utc
from shared.db.engine import make_engine
from shared.db.migrate import migrate
from shared.events import SYSTEM, Envelope
from shared.events.case import CaseRetentionErased
from shared.settings import Settings
from tests.support.timelines import append, chain_of, entry, new_case_id, run_verify, triggers_off, verify


@pytest.fixture
async def case_db(make_settings, database_backend) -> AsyncIterator[tuple[Settings, AsyncEngine]]:
    settings = make_settings()
    await migrate(settings, "case")
    engine = make_engine(settings, "case")
    yield settings, engine
    await engine.dispose()


async def _seqs(engine: AsyncEngine, case_id: str) -> list[int]:
    async with engine.connect() as db:
        query = select(timeline.c.seq).where(timeline.c.case_id == case_id).order_by(timeline.c.seq)
        return list((await db.execute(query)).scalars())


async def test_appended_entries_are_numbered_chained_and_checkpointed(case_db) -> None:
    """The one test of ``tsunagi verify`` as the operator runs it (its own process, its
    JSON, exit 0 and 3); the others call the command's function in this process."""
    settings, engine = case_db
    chain = chain_of(settings)
    first, second = new_case_id(), new_case_id()
    await append(engine, chain, first, 5, per_commit=2)
    async with engine.begin() as db:  # one commit touching both cases
        await chain.append(db, [entry(second, 0), entry(first, 5), entry(second, 1)], datetime.now(UTC))
    assert await _seqs(engine, first) == [1, 2, 3, 4, 5, 6]
    assert await _seqs(engine, second) == [1, 2]
    async with engine.connect() as db:
        checkpoints = (
            await db.execute(
                select(timeline_checkpoints.c.case_id, timeline_checkpoints.c.seq).order_by(timeline_checkpoints.c.id)
            )
        ).all()
    # One per commit and case touched: three commits of the first case, then both.
    assert [(c, s) for c, s in checkpoints] == [(first, 2), (first, 4), (first, 5), (first, 6), (second, 2)]
    code, report = run_verify(settings)
    assert (code, report["intact"], report["cases"], report["entries"]) == (0, True, 2, 8)
    code, report = await verify(settings, "--case", second)
    assert (code, report["cases"], report["entries"]) == (0, 1, 2)
    code, _report = run_verify(settings, "--case", new_case_id())
    assert code == 3


async def _edit(db: AsyncConnection, case_id: str) -> None:
    await db.execute(
        update(timeline)
        .where(timeline.c.case_id == case_id, timeline.c.seq == 3)
        .values(summary={"coordinator_id": "someone-else"})
    )


async def _edit_and_rehash(db: AsyncConnection, case_id: str) -> None:
    """The attacker recomputes the plain content hash too (it needs no key)."""
    row = (
        (await db.execute(select(timeline).where(timeline.c.case_id == case_id, timeline.c.seq == 3))).mappings().one()
    )
    summary = {**row["summary"], "coordinator_id": "someone-else"}
    forged = content_hash(
        event_id=row["event_id"],
        case_id=case_id,
        type_=row["type"],
        occurred_at=as_utc(row["occurred_at"]),
        actor_role=row["actor_role"],
        actor_id=row["actor_id"],
        summary=summary,
    )
    await db.execute(
        update(timeline).where(timeline.c.event_id == row["event_id"]).values(summary=summary, content_hash=forged)
    )


async def _delete(db: AsyncConnection, case_id: str) -> None:
    await db.execute(timeline.delete().where(timeline.c.case_id == case_id, timeline.c.seq == 3))


async def _shift(db: AsyncConnection, case_id: str, from_seq: int, by: int) -> None:
    # Through a free range, so the unique (case, seq) index never sees two rows at once.
    where = (timeline.c.case_id == case_id, timeline.c.seq >= from_seq)
    await db.execute(update(timeline).where(*where).values(seq=timeline.c.seq + 1000))
    await db.execute(
        update(timeline)
        .where(timeline.c.case_id == case_id)
        .where(timeline.c.seq >= 1000)
        .values(seq=timeline.c.seq - 1000 + by)
    )


async def _insert(db: AsyncConnection, case_id: str) -> None:
    await _shift(db, case_id, 3, 1)
    envelope, _ = entry(case_id, 99)
    row = timeline_row(envelope, case_id, datetime.now(UTC))
    await db.execute(timeline.insert().values(**row, seq=3, chain_hmac="0" * 64))


async def _reorder(db: AsyncConnection, case_id: str) -> None:
    at = (timeline.c.case_id == case_id,)
    await db.execute(update(timeline).where(*at, timeline.c.seq == 3).values(seq=-1))
    await db.execute(update(timeline).where(*at, timeline.c.seq == 4).values(seq=3))
    await db.execute(update(timeline).where(*at, timeline.c.seq == -1).values(seq=4))


async def _truncate(db: AsyncConnection, case_id: str) -> None:
    await db.execute(timeline.delete().where(timeline.c.case_id == case_id, timeline.c.seq >= 4))


@pytest.mark.parametrize(
    ("tamper", "kind", "seq"),
    [
        (_edit, "edited", 3),
        (_edit_and_rehash, "edited", 3),
        (_delete, "deleted", 3),
        (_insert, "inserted", 3),
        (_reorder, "reordered", 3),
        (_truncate, "truncated", 4),
    ],
    ids=["edited", "edited-rehashed", "deleted", "inserted", "reordered", "truncated"],
)
async def test_verify_names_each_break(case_db, tamper, kind: str, seq: int) -> None:
    settings, engine = case_db
    chain = chain_of(settings)
    victim, bystander = new_case_id(), new_case_id()
    await append(engine, chain, victim, 6, per_commit=3)
    await append(engine, chain, bystander, 4)
    async with triggers_off(engine) as db:
        await tamper(db, victim)
    code, report = await verify(settings)
    assert code == 1 and report["intact"] is False
    assert [b["case_id"] for b in report["broken"]] == [victim]
    broken = report["broken"][0]["broken"]
    assert (broken["kind"], broken["seq"]) == (kind, seq), broken
    assert report["broken"][0]["verified"] == seq - 1
    assert (await verify(settings, "--case", bystander))[0] == 0


async def test_an_erased_mark_needs_the_erasure_on_the_chain_after_it(case_db) -> None:
    settings, engine = case_db
    chain, now = chain_of(settings), datetime.now(UTC)
    forged, erased = new_case_id(), new_case_id()
    await append(engine, chain, forged, 4)
    await append(engine, chain, erased, 3)
    async with triggers_off(engine) as db:
        # An edit dressed up as retention's: the summary changed, the entry marked erased.
        at = (timeline.c.case_id == forged, timeline.c.seq == 2)
        await db.execute(update(timeline).where(*at).values(summary={"coordinator_id": "x"}, erased_at=now))
        await db.execute(update(timeline).where(timeline.c.case_id == erased).values(erased_at=now))
    payload = CaseRetentionErased(
        case_id=erased, case_ids=[erased], closed_at=now.isoformat(), retention_years=5, erased=[]
    )
    record = Envelope.wrap(payload, aggregate_id=erased, actor=SYSTEM, correlation_id="retention-test", case_id=erased)
    async with engine.begin() as db:
        await chain.append(db, [(record, erased)], now)  # the erasure, on the chain after the marks
    code, report = await verify(settings)
    assert code == 1 and [b["case_id"] for b in report["broken"]] == [forged]
    broken = report["broken"][0]["broken"]
    assert (broken["kind"], broken["seq"], broken["label"]) == ("unrecorded_erasure", 2, "記録のない消去")
    assert (await verify(settings, "--case", erased))[0] == 0


async def test_emptying_a_case_is_named_a_truncation(case_db) -> None:
    settings, engine = case_db
    victim = new_case_id()
    await append(engine, chain_of(settings), victim, 3)
    async with triggers_off(engine) as db:
        await db.execute(timeline.delete().where(timeline.c.case_id == victim))
    code, report = await verify(settings, "--case", victim)
    assert code == 1 and report["broken"][0]["broken"]["kind"] == "truncated"


async def test_removing_the_newest_entry_then_appending_is_caught_by_the_checkpoints(case_db) -> None:
    """The next append chains from what is left; the checkpoint of the removed entry
    no longer matches the entry now at its number."""
    settings, engine = case_db
    chain, victim = chain_of(settings), new_case_id()
    await append(engine, chain, victim, 4)
    async with triggers_off(engine) as db:
        await db.execute(timeline.delete().where(timeline.c.case_id == victim, timeline.c.seq == 4))
    await append(engine, chain, victim, 2)
    code, report = await verify(settings, "--case", victim)
    assert code == 1
    assert (report["broken"][0]["broken"]["kind"], report["broken"][0]["broken"]["seq"]) == ("deleted", 4)


async def test_appenders_racing_on_one_case_make_one_chain(case_db) -> None:
    """Twenty transactions append to one case at once (PostgreSQL: each waits for the
    case's lock; SQLite: one writer at a time): the numbers are 1..n, no gap, no twin."""
    settings, engine = case_db
    chain, contested = chain_of(settings), new_case_id()

    async def one(n: int) -> None:
        async with engine.begin() as db:
            await chain.append(db, [entry(contested, n), entry(new_case_id(), n)], datetime.now(UTC))

    await asyncio.gather(*(one(n) for n in range(20)))
    assert await _seqs(engine, contested) == list(range(1, 21))
    async with engine.connect() as db:
        count = (await db.execute(select(func.count()).select_from(timeline_checkpoints))).scalar_one()
    assert count == 40
    code, report = await verify(settings)
    assert (code, report["cases"], report["entries"]) == (0, 21, 40)


async def test_a_wrong_key_verifies_nothing(case_db) -> None:
    settings, engine = case_db
    await append(engine, chain_of(settings), new_case_id(), 2)
    other = settings.model_copy(update={"timeline_key": SecretStr("another-timeline-key-another-timeline-key")})
    code, report = await verify(other)
    assert code == 1 and report["broken"][0]["broken"]["seq"] == 1


async def test_the_checkpoints_live_in_their_own_schema_on_postgresql(case_db) -> None:
    settings, engine = case_db
    if settings.database_url is None:
        pytest.skip("SQLite keeps them in the service's file")
    await append(engine, chain_of(settings), new_case_id(), 1)
    async with engine.connect() as db:
        count = (await db.execute(text("SELECT count(*) FROM case_audit.timeline_checkpoints"))).scalar_one()
    assert count == 1
