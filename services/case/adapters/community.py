"""Unmet needs (サービスがないニーズ) and community issues (地域課題) in the case database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.case.adapters.orm import cases, community_issues, unmet_needs


class CommunityRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self.db = db

    async def add_need(self, row: dict[str, Any]) -> None:
        await self.db.execute(insert(unmet_needs), row)

    async def needs(self, need_ids: list[str]) -> list[dict[str, Any]]:
        rows = await self.db.execute(select(unmet_needs).where(unmet_needs.c.id.in_(need_ids)))
        return [dict(r) for r in rows.mappings().all()]

    async def needs_of_cases(self, case_ids: list[str]) -> list[dict[str, Any]]:
        rows = await self.db.execute(
            select(unmet_needs)
            .where(unmet_needs.c.case_id.in_(case_ids))
            .order_by(unmet_needs.c.recorded_at.desc(), unmet_needs.c.id.desc())
        )
        return [dict(r) for r in rows.mappings().all()]

    async def needs_listed(
        self, *, area: str | None, gathered: bool | None, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        """An area's needs (or every area's), newest first, with their cases' numbers."""
        where = []
        if area is not None:
            where.append(unmet_needs.c.area == area)
        if gathered is not None:
            where.append(unmet_needs.c.issue_id.is_not(None) if gathered else unmet_needs.c.issue_id.is_(None))
        total = (await self.db.execute(select(func.count()).select_from(unmet_needs).where(*where))).scalar_one()
        rows = await self.db.execute(
            select(unmet_needs, cases.c.case_number)
            .select_from(unmet_needs.join(cases, cases.c.id == unmet_needs.c.case_id))
            .where(*where)
            .order_by(unmet_needs.c.recorded_at.desc(), unmet_needs.c.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return [dict(r) for r in rows.mappings().all()], int(total)

    async def needs_of_issue(self, issue_id: str) -> list[dict[str, Any]]:
        rows = await self.db.execute(
            select(unmet_needs).where(unmet_needs.c.issue_id == issue_id).order_by(unmet_needs.c.recorded_at)
        )
        return [dict(r) for r in rows.mappings().all()]

    async def gather(self, need_ids: list[str], issue_id: str) -> int:
        """Only needs still in no issue: a racing gathering cannot take them twice."""
        result = await self.db.execute(
            update(unmet_needs)
            .where(unmet_needs.c.id.in_(need_ids), unmet_needs.c.issue_id.is_(None))
            .values(issue_id=issue_id)
        )
        return int(result.rowcount)

    async def add_issue(self, row: dict[str, Any]) -> None:
        await self.db.execute(insert(community_issues), row)

    async def issue(self, issue_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
        query = select(community_issues).where(community_issues.c.id == issue_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.db.execute(query)).mappings().first()
        return dict(row) if row else None

    async def save_issue(self, issue: dict[str, Any], **values: Any) -> int:
        """Guarded by the version read: a racing change makes this one a stale 0 rows."""
        result = await self.db.execute(
            update(community_issues)
            .where(community_issues.c.id == issue["id"], community_issues.c.version == issue["version"])
            .values(**values, version=issue["version"] + 1)
        )
        return int(result.rowcount)

    async def issues(
        self, *, area: str | None, status: str | None, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        where = []
        if area is not None:
            where.append(community_issues.c.area == area)
        if status is not None:
            where.append(community_issues.c.status == status)
        total = (await self.db.execute(select(func.count()).select_from(community_issues).where(*where))).scalar_one()
        rows = await self.db.execute(
            select(community_issues)
            .where(*where)
            .order_by(community_issues.c.raised_at.desc(), community_issues.c.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return [dict(r) for r in rows.mappings().all()], int(total)

    async def need_counts(self, area: str | None) -> list[dict[str, Any]]:
        """How many needs, by area, school district and category (and how many gathered)."""
        gathered = func.count(unmet_needs.c.issue_id)
        query = select(
            unmet_needs.c.area,
            unmet_needs.c.school_district,
            unmet_needs.c.category,
            func.count().label("needs"),
            gathered.label("gathered"),
        ).group_by(unmet_needs.c.area, unmet_needs.c.school_district, unmet_needs.c.category)
        if area is not None:
            query = query.where(unmet_needs.c.area == area)
        rows = await self.db.execute(query.order_by(unmet_needs.c.area, unmet_needs.c.school_district))
        return [dict(r) for r in rows.mappings().all()]
