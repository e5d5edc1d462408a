"""Watch plans (見守り) and their check-ins in the case database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.case.adapters.orm import watch_checkins, watch_plans


class WatchRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self.db = db

    async def add_plan(self, row: dict[str, Any]) -> None:
        await self.db.execute(insert(watch_plans), row)

    async def plan(self, case_id: str, plan_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
        """The plan, if it is one of ``case_id``'s."""
        query = select(watch_plans).where(watch_plans.c.id == plan_id, watch_plans.c.case_id == case_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.db.execute(query)).mappings().first()
        return dict(row) if row else None

    async def update_plan(self, plan_id: str, **values: Any) -> None:
        await self.db.execute(update(watch_plans).where(watch_plans.c.id == plan_id).values(**values))

    async def plans_of(self, case_ids: list[str]) -> list[dict[str, Any]]:
        """Every plan of the cases, the latest started first."""
        rows = await self.db.execute(
            select(watch_plans)
            .where(watch_plans.c.case_id.in_(case_ids))
            .order_by(watch_plans.c.started_at.desc(), watch_plans.c.id.desc())
        )
        return [dict(r) for r in rows.mappings().all()]

    async def add_checkin(self, row: dict[str, Any]) -> None:
        await self.db.execute(insert(watch_checkins), row)

    async def checkins_of(self, plan_id: str, latest: int) -> list[dict[str, Any]]:
        """The ``latest`` check-ins of a plan, newest first."""
        rows = await self.db.execute(
            select(watch_checkins)
            .where(watch_checkins.c.plan_id == plan_id)
            .order_by(watch_checkins.c.checked_at.desc(), watch_checkins.c.id.desc())
            .limit(latest)
        )
        return [dict(r) for r in rows.mappings().all()]
