"""Case conferences in the case database: the meeting, its participants, cases,
disclosures and tasks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.case.adapters.conference_tables import (
    conference_cases,
    conference_disclosures,
    conference_participants,
    conference_tasks,
    conferences,
)
from services.case.adapters.orm import cases, household_members

ACCOUNT = "account"
AGENCY = "agency"


class ConferenceRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self.db = db

    async def add(self, row: dict[str, Any], accounts: list[str], agencies: list[str], case_ids: list[str]) -> None:
        await self.db.execute(insert(conferences), row)
        await self.set_participants(row["id"], accounts, agencies)
        await self.db.execute(insert(conference_cases), [{"conference_id": row["id"], "case_id": c} for c in case_ids])

    async def set_participants(self, conference_id: str, accounts: list[str], agencies: list[str]) -> None:
        await self.db.execute(
            delete(conference_participants).where(conference_participants.c.conference_id == conference_id)
        )
        rows = [{"conference_id": conference_id, "kind": ACCOUNT, "participant_id": a} for a in accounts]
        rows += [{"conference_id": conference_id, "kind": AGENCY, "participant_id": a} for a in agencies]
        if rows:
            await self.db.execute(insert(conference_participants), rows)

    async def get(self, conference_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
        query = select(conferences).where(conferences.c.id == conference_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.db.execute(query)).mappings().first()
        return dict(row) if row else None

    async def save(self, conference: dict[str, Any], values: dict[str, Any]) -> int:
        """Saves under the version guard the caller already checked (the row is locked)."""
        version = conference["version"] + 1
        await self.db.execute(
            update(conferences).where(conferences.c.id == conference["id"]).values(**values, version=version)
        )
        conference.update(values, version=version)
        return version

    async def participants(self, conference_id: str) -> tuple[list[str], list[str]]:
        rows = await self.db.execute(
            select(conference_participants.c.kind, conference_participants.c.participant_id)
            .where(conference_participants.c.conference_id == conference_id)
            .order_by(conference_participants.c.participant_id)
        )
        found = rows.all()
        return [str(p) for k, p in found if k == ACCOUNT], [str(p) for k, p in found if k == AGENCY]

    async def discussed(self, conference_id: str) -> list[dict[str, Any]]:
        """The cases discussed with their decision, area, number and coordinator."""
        rows = await self.db.execute(
            select(
                conference_cases,
                cases.c.area,
                cases.c.case_number,
                cases.c.coordinator_id,
                cases.c.consent,
                cases.c.legal_ground,
            )
            .join(cases, cases.c.id == conference_cases.c.case_id)
            .where(conference_cases.c.conference_id == conference_id)
            .order_by(cases.c.case_number)
        )
        return [dict(r) for r in rows.mappings().all()]

    async def decide(self, conference_id: str, case_id: str, **values: Any) -> None:
        await self.db.execute(
            update(conference_cases)
            .where(conference_cases.c.conference_id == conference_id, conference_cases.c.case_id == case_id)
            .values(**values)
        )

    async def disclose(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self.db.execute(insert(conference_disclosures), rows)

    async def disclosures(self, conference_id: str) -> list[dict[str, Any]]:
        """Each field disclosed, with the relation of the member a share was about."""
        rows = await self.db.execute(
            select(conference_disclosures, household_members.c.relation.label("member_relation"))
            .outerjoin(household_members, household_members.c.id == conference_disclosures.c.member_id)
            .where(conference_disclosures.c.conference_id == conference_id)
            .order_by(conference_disclosures.c.id)
        )
        return [dict(r) for r in rows.mappings().all()]

    async def add_task(self, row: dict[str, Any]) -> None:
        await self.db.execute(insert(conference_tasks), row)

    async def task(self, conference_id: str, task_id: str) -> dict[str, Any] | None:
        row = (
            (
                await self.db.execute(
                    select(conference_tasks).where(
                        conference_tasks.c.id == task_id, conference_tasks.c.conference_id == conference_id
                    )
                )
            )
            .mappings()
            .first()
        )
        return dict(row) if row else None

    async def update_task(self, task_id: str, **values: Any) -> None:
        await self.db.execute(update(conference_tasks).where(conference_tasks.c.id == task_id).values(**values))

    async def tasks(self, conference_id: str) -> list[dict[str, Any]]:
        rows = await self.db.execute(
            select(conference_tasks)
            .where(conference_tasks.c.conference_id == conference_id)
            .order_by(conference_tasks.c.due_on, conference_tasks.c.id)
        )
        return [dict(r) for r in rows.mappings().all()]

    async def page(
        self, role: str, scope: str, subject: str, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        """The meetings the caller may read (every one for a supervisor), the latest first."""
        where: Any = None
        if role != "supervisor":
            kind, who = (AGENCY, scope) if role == "agency" else (ACCOUNT, subject)
            taking_part = select(conference_participants.c.conference_id).where(
                conference_participants.c.kind == kind, conference_participants.c.participant_id == who
            )
            where = conferences.c.id.in_(taking_part)
            if role == "coordinator":
                coordinating = (
                    select(conference_cases.c.conference_id)
                    .join(cases, cases.c.id == conference_cases.c.case_id)
                    .where(cases.c.coordinator_id == subject)
                )
                where = or_(where, conferences.c.id.in_(coordinating))
        count = select(func.count()).select_from(conferences)
        query = select(conferences).order_by(conferences.c.held_on.desc(), conferences.c.id.desc())
        if where is not None:
            count, query = count.where(where), query.where(where)
        total = (await self.db.execute(count)).scalar_one()
        rows = await self.db.execute(query.offset(offset).limit(limit))
        return [dict(r) for r in rows.mappings().all()], total

    async def of_case(self, case_ids: list[str]) -> list[dict[str, Any]]:
        """The meetings that discussed the cases (for the case page)."""
        rows = await self.db.execute(
            select(conferences, conference_cases.c.case_id)
            .join(conference_cases, and_(conference_cases.c.conference_id == conferences.c.id))
            .where(conference_cases.c.case_id.in_(case_ids))
            .order_by(conferences.c.held_on.desc())
        )
        return [dict(r) for r in rows.mappings().all()]
