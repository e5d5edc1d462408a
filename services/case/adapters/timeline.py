"""Reading the merged timeline's rows, and the record of who read a case. Entries are
appended through the chain (adapters/chain.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
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

    async def of_types(self, types: list[str]) -> list[dict[str, Any]]:
        rows = await self.db.execute(
            select(timeline.c.case_id, timeline.c.type, timeline.c.occurred_at).where(timeline.c.type.in_(types))
        )
        return [dict(r) for r in rows.mappings().all()]


def timeline_row(envelope: Envelope, case_id: str, recorded_at: datetime) -> dict[str, Any]:
    """The entry's columns except its place in the chain (adapters/chain.py adds it)."""
    # Personal detail is dropped before anything is opened; a reason the timeline shows is opened.
    summary = envelope.opened(summarise(envelope.payload))
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
