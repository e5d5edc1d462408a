"""Appending to the cases' hash chains: at commit, under each case's lock, so replicas
and late events cannot interleave a chain — its order is the order of appending (the
event's own time stays a field)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.case.adapters.figure_projection import FigureProjection
from services.case.adapters.orm import timeline, timeline_checkpoints
from services.case.adapters.timeline import timeline_row
from services.case.domain.chain import GENESIS, link
from shared.clock import Clock
from shared.db.sql import insert_rows
from shared.db.tables import MessagingTables
from shared.db.uow import UnitOfWork
from shared.events import Envelope
from shared.events.personal import Sealer

_LATEST = (
    select(timeline.c.case_id, func.max(timeline.c.seq).label("seq"))
    .where(timeline.c.case_id.in_(bindparam("case_ids", expanding=True)))
    .group_by(timeline.c.case_id)
    .subquery()
)
_HEADS = select(timeline.c.case_id, timeline.c.seq, timeline.c.chain_hmac).join(
    _LATEST, and_(timeline.c.case_id == _LATEST.c.case_id, timeline.c.seq == _LATEST.c.seq)
)
# PostgreSQL: a transaction-scoped advisory lock per case (its own key space), taken in
# one order by every appender and held to commit — appenders of one case queue, and two
# appenders never wait for each other in a cycle. SQLite has one writer at a time already.
_LOCK_SPACE = 0x7473
_LOCK_CASES = text(
    "SELECT pg_advisory_xact_lock(:space, h) FROM "
    "(SELECT DISTINCT hashtext(c) AS h FROM unnest(CAST(:case_ids AS text[])) AS c ORDER BY h) AS ordered"
)


class TimelineChain:
    def __init__(self, key: bytes) -> None:
        self.key = key

    async def append(self, db: AsyncConnection, entries: list[tuple[Envelope, str]], recorded_at: datetime) -> None:
        """The entries (in this order) at the ends of their cases' chains, and one
        checkpoint per case touched."""
        if not entries:
            return
        case_ids = sorted({case_id for _e, case_id in entries})
        if db.dialect.name == "postgresql":
            await db.execute(_LOCK_CASES, {"space": _LOCK_SPACE, "case_ids": case_ids})
        heads = {r.case_id: (r.seq, r.chain_hmac) for r in await db.execute(_HEADS, {"case_ids": case_ids})}
        rows: list[dict[str, Any]] = []
        for envelope, case_id in entries:
            row = timeline_row(envelope, case_id, recorded_at)
            seq, previous = heads.get(case_id, (0, GENESIS))
            row["seq"] = seq + 1
            row["chain_hmac"] = link(self.key, case_id, seq + 1, previous, row["content_hash"])
            heads[case_id] = (row["seq"], row["chain_hmac"])
            rows.append(row)
        await insert_rows(db, timeline, rows)
        await insert_rows(
            db,
            timeline_checkpoints,
            [
                {"case_id": c, "seq": heads[c][0], "chain_hmac": heads[c][1], "recorded_at": recorded_at}
                for c in case_ids
            ],
        )


class CaseUnitOfWork(UnitOfWork):
    """The case service's unit of work: timeline entries recorded during the transaction
    are chained just before it commits (``UnitOfWork.before_commit``)."""

    def __init__(
        self,
        engine: AsyncEngine,
        tables: MessagingTables,
        clock: Clock,
        outbox_signal: asyncio.Event | None = None,
        *,
        keys: Sealer | None = None,
        chain: TimelineChain,
        figures: FigureProjection | None = None,
    ) -> None:
        super().__init__(engine, tables, clock, outbox_signal, keys=keys)
        self.chain = chain
        self.figures = figures or FigureProjection()
        self._timeline: list[tuple[Envelope, str]] = []
        self._changed: set[str] = set()

    async def __aenter__(self) -> CaseUnitOfWork:
        self._timeline = []
        self._changed = set()
        await super().__aenter__()
        return self

    def add_to_timeline(self, *entries: tuple[Envelope, str]) -> None:
        self._timeline.extend(entries)
        self._changed.update(case_id for _, case_id in entries)

    def case_changed(self, case_id: str) -> None:
        self._changed.add(case_id)

    async def before_commit(self) -> None:
        if self._timeline:
            await self.chain.append(self.db, self._timeline, self.clock.now())
            self._timeline = []
        # The figures of the closed months these changes reach, counted again in this
        # same transaction (services/case/adapters/figure_projection.py).
        await self.figures.refresh_touched(self.db, self._changed, self.clock.now())
        self._changed = set()


def add_to_timeline(uow: UnitOfWork, *entries: tuple[Envelope, str]) -> None:
    """Put events on their cases' timelines when ``uow`` commits."""
    if not isinstance(uow, CaseUnitOfWork):
        raise TypeError("the case timeline is written through CaseUnitOfWork (bootstrap builds it)")
    uow.add_to_timeline(*entries)


def case_changed(uow: UnitOfWork, case_id: str) -> None:
    """A change to the case with no event on its own timeline (a merge's source): its
    months' figures are counted again when ``uow`` commits."""
    if isinstance(uow, CaseUnitOfWork):
        uow.case_changed(case_id)
