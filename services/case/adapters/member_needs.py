"""A household member's own needs in the case database (columns of household_members)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.case.adapters.orm import household_members
from services.case.domain.matching import PersonFacts
from services.case.domain.member_needs import Needs
from services.case.domain.names import normalise


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


async def with_member_needs(db: AsyncConnection, pool: list[tuple[str, PersonFacts]]) -> list[tuple[str, PersonFacts]]:
    """The candidates' facts with their members' own categories (likely matches read them)."""
    if not pool:
        return pool
    rows = await db.execute(
        select(household_members.c.case_id, household_members.c.age_group, household_members.c.categories).where(
            household_members.c.case_id.in_(sorted({case_id for case_id, _ in pool})),
            household_members.c.categories.is_not(None),
        )
    )
    needs: dict[str, list[tuple[str, frozenset[str]]]] = {}
    for row in rows.mappings().all():
        listed: list[str] = list(row["categories"] or [])
        if listed:
            needs.setdefault(str(row["case_id"]), []).append((normalise(row["age_group"]), frozenset(listed)))
    return [(case_id, replace(facts, member_needs=tuple(needs.get(case_id, ())))) for case_id, facts in pool]
