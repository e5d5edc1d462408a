"""Reads and writes of intake's tables, inside a unit of work."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.intake.adapters.orm import case_stages, consultations
from shared.events.case import ERASED_TEXT

# A consultation as its reporter may see it: the stage of the case it became.
_WITH_STAGE = select(
    consultations.c.reference,
    consultations.c.reporter_id,
    consultations.c.received_at,
    consultations.c.case_id,
    case_stages.c.stage,
    case_stages.c.updated_at,
).select_from(consultations.outerjoin(case_stages, consultations.c.case_id == case_stages.c.case_id))


class ConsultationRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self.db = db

    async def erase_personal(self, case_ids: list[str]) -> int:
        """Retention: the consultations of ``case_ids`` keep no person, household, words or legal ground."""
        done = await self.db.execute(
            update(consultations)
            .where(consultations.c.case_id.in_(case_ids))
            .values(person={}, household={}, noticed=ERASED_TEXT, legal_ground=None)
        )
        return int(done.rowcount or 0)

    async def reference_exists(self, reference: str) -> bool:
        found = await self.db.execute(select(consultations.c.id).where(consultations.c.reference == reference))
        return found.first() is not None

    async def by_reference(self, reference: str) -> Any:
        result = await self.db.execute(_WITH_STAGE.where(consultations.c.reference == reference))
        return result.first()

    async def of_reporter(self, reporter_id: str, *, offset: int, limit: int) -> list[Any]:
        """A reporter's own consultations with their stage, newest first."""
        result = await self.db.execute(
            _WITH_STAGE.where(consultations.c.reporter_id == reporter_id)
            .order_by(consultations.c.received_at.desc(), consultations.c.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return list(result.all())

    async def count_of_reporter(self, reporter_id: str) -> int:
        result = await self.db.execute(
            select(func.count()).select_from(consultations).where(consultations.c.reporter_id == reporter_id)
        )
        return int(result.scalar_one())

    async def link_cases(self, links: list[tuple[str, str]]) -> None:
        """(consultation id, case id) pairs, in one executemany."""
        if links:
            await self.db.execute(
                update(consultations)
                .where(consultations.c.id == bindparam("consultation_id"))
                .values(case_id=bindparam("linked_case_id")),
                [{"consultation_id": c, "linked_case_id": k} for c, k in links],
            )

    async def stage_event_of(self, case_id: str) -> str | None:
        found = await self.db.execute(select(case_stages.c.event_id).where(case_stages.c.case_id == case_id))
        return found.scalar_one_or_none()

    async def set_stage(self, case_id: str, stage: str, event_id: str, at: datetime, *, exists: bool) -> None:
        values = {"stage": stage, "event_id": event_id, "updated_at": at}
        if exists:
            await self.db.execute(update(case_stages).where(case_stages.c.case_id == case_id).values(**values))
        else:
            await self.db.execute(insert(case_stages), {"case_id": case_id, **values})
