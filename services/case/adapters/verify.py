"""Verifying the timelines' chains in the database — the one implementation behind
``tsunagi verify`` and the case's verification endpoint. Entries are streamed in
(case, seq) order in batches (a server-side cursor on PostgreSQL), the checkpoints of
a few hundred cases are read at a time beside them, so memory stays flat however many
entries there are."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.case.adapters.orm import timeline, timeline_checkpoints
from services.case.domain.chain import CaseVerification, Checkpoint, Entry, verify_case
from services.case.domain.timeline import content_hash
from shared.clock import as_utc

FETCH_ROWS = 5000
CASES_PER_CHECKPOINT_READ = 500

_ENTRIES = select(
    timeline.c.case_id,
    timeline.c.seq,
    timeline.c.event_id,
    timeline.c.type,
    timeline.c.occurred_at,
    timeline.c.actor_role,
    timeline.c.actor_id,
    timeline.c.summary,
    timeline.c.content_hash,
    timeline.c.chain_hmac,
    timeline.c.erased_at,
).order_by(timeline.c.case_id, timeline.c.seq, timeline.c.event_id)
_CHECKPOINTS = (
    select(timeline_checkpoints.c.case_id, timeline_checkpoints.c.seq, timeline_checkpoints.c.chain_hmac)
    .where(timeline_checkpoints.c.case_id.in_(bindparam("case_ids", expanding=True)))
    .order_by(timeline_checkpoints.c.id)
)
# Cases the checkpoints know but no entry is left of.
_EMPTIED = (
    select(timeline_checkpoints.c.case_id)
    .where(~select(timeline.c.event_id).where(timeline.c.case_id == timeline_checkpoints.c.case_id).exists())
    .distinct()
    .order_by(timeline_checkpoints.c.case_id)
)


def _entry(row: Any) -> Entry:
    recomputed = content_hash(
        event_id=row.event_id,
        case_id=row.case_id,
        type_=row.type,
        occurred_at=as_utc(row.occurred_at),
        actor_role=row.actor_role,
        actor_id=row.actor_id,
        summary=row.summary,
    )
    return Entry(
        row.event_id, row.seq, row.content_hash, recomputed, row.chain_hmac, row.erased_at is not None, row.type
    )


async def _verify_cases(db: AsyncConnection, key: bytes, entries_of: dict[str, list[Entry]]) -> list[CaseVerification]:
    checkpoints: dict[str, list[Checkpoint]] = {c: [] for c in entries_of}
    for row in await db.execute(_CHECKPOINTS, {"case_ids": list(entries_of)}):
        checkpoints[row.case_id].append(Checkpoint(row.seq, row.chain_hmac))
    return [verify_case(key, c, entries, checkpoints[c]) for c, entries in entries_of.items()]


async def verify_chains(
    db: AsyncConnection, key: bytes, case_ids: Sequence[str] = ()
) -> AsyncIterator[CaseVerification]:
    """Every case's chain (or only ``case_ids``'), in case-id order, then the cases
    of which only checkpoints are left."""
    query, emptied = _ENTRIES, _EMPTIED
    if case_ids:
        query = query.where(timeline.c.case_id.in_(case_ids))
        emptied = emptied.where(timeline_checkpoints.c.case_id.in_(case_ids))
    pending: dict[str, list[Entry]] = {}
    stream = await db.stream(query.execution_options(yield_per=FETCH_ROWS))
    async for rows in stream.partitions():  # a batch at a time: one hand-over per batch, not per row
        for row in rows:
            if row.case_id not in pending and len(pending) >= CASES_PER_CHECKPOINT_READ:
                for result in await _verify_cases(db, key, pending):
                    yield result
                pending = {}
            pending.setdefault(row.case_id, []).append(_entry(row))
    if pending:
        for result in await _verify_cases(db, key, pending):
            yield result
    gone: list[str] = list((await db.execute(emptied)).scalars())
    for start in range(0, len(gone), CASES_PER_CHECKPOINT_READ):
        for result in await _verify_cases(db, key, {c: [] for c in gone[start : start + CASES_PER_CHECKPOINT_READ]}):
            yield result
