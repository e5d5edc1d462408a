"""Reading the merged timeline's rows, and the record of who read a case. Entries are
appended through the chain (adapters/chain.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

from services.case.adapters.orm import timeline
from services.case.domain.timeline import content_hash, summarise
from shared.clock import as_utc
from shared.events import Envelope


class TimelineRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self.db = db

    async def of_cases(self, case_ids: list[str]) -> list[dict[str, Any]]:
        """In event-id order: ULIDs sort by time, whatever order the events arrived in."""
        rows = await self.db.execute(
            select(timeline).where(timeline.c.case_id.in_(case_ids)).order_by(timeline.c.event_id)
        )
        return [dict(r) for r in rows.mappings().all()]

    async def page_of_cases(
        self, case_ids: list[str], kinds: list[str], offset: int = 0, limit: int | None = None, after: str | None = None
    ) -> tuple[list[dict[str, Any]], int]:
        """The entries of ``kinds`` (domain.timeline.matches_kind, in SQL) in event-id order:
        ``limit`` of them (None: all) after the event id ``after``, or from ``offset``; and
        how many match."""
        wanted = timeline.c.case_id.in_(case_ids) & of_kinds(kinds)
        total = await self.db.scalar(select(func.count()).select_from(timeline).where(wanted))
        query = select(timeline).where(wanted).order_by(timeline.c.event_id).limit(limit)
        query = query.where(timeline.c.event_id > after) if after is not None else query.offset(offset)
        rows = await self.db.execute(query)
        return [dict(r) for r in rows.mappings().all()], int(total or 0)

    async def of_types(self, types: list[str]) -> list[dict[str, Any]]:
        rows = await self.db.execute(
            select(timeline.c.case_id, timeline.c.type, timeline.c.occurred_at).where(timeline.c.type.in_(types))
        )
        return [dict(r) for r in rows.mappings().all()]


def of_kinds(kinds: list[str]) -> ColumnElement[bool]:
    """``matches_kind`` as SQL: a kind is a type (``referral.accepted``) or its prefix (``referral``)."""
    if not kinds:
        return true()
    return or_(timeline.c.type.in_(kinds), *(timeline.c.type.startswith(f"{k}.", autoescape=True) for k in kinds))


def timeline_row(envelope: Envelope, case_id: str, recorded_at: datetime) -> dict[str, Any]:
    """The entry's columns except its place in the chain (adapters/chain.py adds it)."""
    # Personal detail is dropped before anything is opened; a reason the timeline shows is opened.
    summary = envelope.opened(summarise(envelope.payload, envelope.type))
    occurred_at = as_utc(envelope.occurred_at)
    return dict(
        event_id=envelope.event_id,
        case_id=case_id,
        type=envelope.type,
        occurred_at=occurred_at,
        actor_role=envelope.actor.role,
        actor_id=envelope.actor.id,
        correlation_id=envelope.correlation_id,
        causation_id=envelope.causation_id,
        summary=summary,
        content_hash=content_hash(
            event_id=envelope.event_id,
            case_id=case_id,
            type_=envelope.type,
            occurred_at=occurred_at,
            actor_role=envelope.actor.role,
            actor_id=envelope.actor.id,
            summary=summary,
        ),
        recorded_at=recorded_at,
    )
