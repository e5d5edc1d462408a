"""Community helpers' tasks and their check-ins in the case database, and the registry
of helpers: the accounts the console told this service about that hold a helper grant."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Text, cast, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.case.adapters.orm import access, helper_task_checkins, helper_tasks
from services.case.domain.helper_tasks import HelperOnFile


class HelperTaskRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self.db = db

    async def add(self, row: dict[str, Any]) -> None:
        await self.db.execute(insert(helper_tasks), row)

    async def get(self, task_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
        query = select(helper_tasks).where(helper_tasks.c.id == task_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.db.execute(query)).mappings().first()
        return dict(row) if row else None

    async def update(self, task_id: str, **values: Any) -> None:
        await self.db.execute(update(helper_tasks).where(helper_tasks.c.id == task_id).values(**values))

    async def of_cases(self, case_ids: list[str]) -> list[dict[str, Any]]:
        """Every task of the cases, the latest given first."""
        rows = await self.db.execute(
            select(helper_tasks)
            .where(helper_tasks.c.case_id.in_(case_ids))
            .order_by(helper_tasks.c.assigned_at.desc(), helper_tasks.c.id.desc())
        )
        return [dict(r) for r in rows.mappings().all()]

    async def of_helper(self, helper_id: str, statuses: frozenset[str] | None, limit: int) -> list[dict[str, Any]]:
        """A helper's tasks (of ``statuses``, or all), the latest given first."""
        query = select(helper_tasks).where(helper_tasks.c.helper_id == helper_id)
        if statuses is not None:
            query = query.where(helper_tasks.c.status.in_(sorted(statuses)))
        rows = await self.db.execute(
            query.order_by(helper_tasks.c.assigned_at.desc(), helper_tasks.c.id.desc()).limit(limit)
        )
        return [dict(r) for r in rows.mappings().all()]

    async def open_counts(self, helper_ids: list[str], statuses: frozenset[str]) -> dict[str, int]:
        """How many tasks of ``statuses`` each helper holds (one query)."""
        if not helper_ids:
            return {}
        rows = await self.db.execute(
            select(helper_tasks.c.helper_id, func.count())
            .where(helper_tasks.c.helper_id.in_(helper_ids), helper_tasks.c.status.in_(sorted(statuses)))
            .group_by(helper_tasks.c.helper_id)
        )
        return {str(r[0]): int(r[1]) for r in rows.all()}

    async def add_checkin(self, row: dict[str, Any]) -> None:
        await self.db.execute(insert(helper_task_checkins), row)

    async def checkins_of(self, task_ids: list[str], latest: int) -> dict[str, list[dict[str, Any]]]:
        """Each task's ``latest`` check-ins, newest first."""
        rows = await self.db.execute(
            select(helper_task_checkins)
            .where(helper_task_checkins.c.task_id.in_(task_ids))
            .order_by(helper_task_checkins.c.checked_at.desc(), helper_task_checkins.c.id.desc())
        )
        found: dict[str, list[dict[str, Any]]] = {t: [] for t in task_ids}
        for r in rows.mappings().all():
            if len(found[r["task_id"]]) < latest:
                found[r["task_id"]].append(dict(r))
        return found


class HelperRegistry:
    """The helpers this service knows, from the console's ``account.*`` events (ids, areas
    and kinds; names stay in the console)."""

    def __init__(self, db: AsyncConnection) -> None:
        self.db = db

    async def helpers(self) -> list[HelperOnFile]:
        accounts = access.accounts
        rows = await self.db.execute(
            select(accounts.c.account_id, accounts.c.disabled, accounts.c.grants)
            # Only rows that can hold a helper grant reach Python.
            .where(cast(accounts.c.grants, Text).like('%"helper"%'))
            .order_by(accounts.c.account_id)
        )
        found = []
        for r in rows.all():
            for grant in r.grants or []:
                if grant.get("role") == "helper":
                    found.append(HelperOnFile(r.account_id, grant["scope"], grant.get("kind"), bool(r.disabled)))
        return found

    async def helper(self, account_id: str) -> HelperOnFile | None:
        return next((h for h in await self.helpers() if h.account_id == account_id), None)
