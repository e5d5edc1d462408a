"""Finding cases by case number, reference number or name key. Each search is one
statement over indexed columns (cases.case_number, case_consultations.reference /
name_key / kana_key, household_members.name_key), never a scan of the case load."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, func, or_, select, union
from sqlalchemy.ext.asyncio import AsyncConnection

from services.case.adapters.orm import case_consultations, cases, household_members

_hit = cases.alias("hit")


class CaseSearch:
    def __init__(self, db: AsyncConnection) -> None:
        self.db = db

    async def by_case_number(self, number: str) -> list[dict[str, Any]]:
        return await self._surviving(_hit.c.case_number == number)

    async def by_reference(self, reference: str) -> list[dict[str, Any]]:
        holders = select(case_consultations.c.case_id).where(case_consultations.c.reference == reference)
        return await self._surviving(_hit.c.id.in_(holders))

    async def by_name(self, name_key: str | None, kana_key: str | None) -> list[dict[str, Any]]:
        """Cases whose consultations name the person (name or furigana) or whose
        household has a member of that name. A ``None`` key matches nothing."""
        named = [case_consultations.c.name_key == name_key] if name_key else []
        if kana_key:
            named.append(case_consultations.c.kana_key == kana_key)
        holders = union(
            select(case_consultations.c.case_id).where(or_(*named) if named else false()),
            select(household_members.c.case_id).where(
                household_members.c.name_key == name_key if name_key else false()
            ),
        )
        return await self._surviving(_hit.c.id.in_(holders))

    async def _surviving(self, hit: ColumnElement[bool]) -> list[dict[str, Any]]:
        """The cases hit, each as the case it was merged into (merges are one level deep),
        once, the most recently opened first: their ids and areas only (who may see them
        is the caller's filter; an area condition here would lead planners to scan an
        area), the shown ones' rows read by ``rows_of``."""
        survivors = select(func.coalesce(_hit.c.merged_into, _hit.c.id)).where(hit)
        rows = await self.db.execute(
            select(cases.c.id, cases.c.area)
            .where(cases.c.id.in_(survivors))
            .order_by(cases.c.opened_at.desc(), cases.c.id.desc())
        )
        return [dict(r) for r in rows.mappings().all()]

    async def rows_of(self, case_ids: list[str]) -> list[dict[str, Any]]:
        """The cases' rows, in the order of ``case_ids``."""
        if not case_ids:
            return []
        found = {
            r["id"]: dict(r) for r in (await self.db.execute(select(cases).where(cases.c.id.in_(case_ids)))).mappings()
        }
        return [found[i] for i in case_ids]
