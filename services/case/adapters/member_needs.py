"""A household member's own needs in the case database (columns of household_members)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.case.adapters.orm import household_members
from services.case.domain.member_needs import Needs


class MemberNeedsRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self.db = db

    async def belongs(self, member_id: str, case_ids: list[str]) -> bool:
        row = await self.db.execute(
            select(household_members.c.id).where(
                household_members.c.id == member_id, household_members.c.case_id.in_(case_ids)
            )
        )
        return row.first() is not None

    async def member(self, member_id: str, case_ids: list[str]) -> dict[str, Any] | None:
        row = (
            (
                await self.db.execute(
                    select(household_members).where(
                        household_members.c.id == member_id, household_members.c.case_id.in_(case_ids)
                    )
                )
            )
            .mappings()
            .first()
        )
        return dict(row) if row else None

    async def set_needs(self, member_id: str, needs: Needs) -> None:
        await self.db.execute(
            update(household_members)
            .where(household_members.c.id == member_id)
            .values(
                categories=needs.categories,
                consent=needs.consent,
                language=needs.language,
                interpreter=needs.interpreter,
            )
        )
