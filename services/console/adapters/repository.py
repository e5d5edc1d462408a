"""Reads and writes of the console's tables (Core statements on the unit of work's
connection)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.console.adapters.orm import accounts, grants, recovery_codes, sessions, sign_in_failures
from services.console.domain.accounts import Grant


class AccountRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self.db = db

    async def get(self, account_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
        query = select(accounts).where(accounts.c.id == account_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.db.execute(query)).mappings().first()
        return dict(row) if row else None

    async def listing(self, account_ids: list[str] | None = None) -> list[dict[str, Any]]:
        query = select(accounts).order_by(accounts.c.id)
        if account_ids is not None:
            query = query.where(accounts.c.id.in_(account_ids))
        return [dict(r) for r in (await self.db.execute(query)).mappings().all()]

    async def add(self, row: dict[str, Any]) -> None:
        await self.db.execute(insert(accounts), row)

    async def update(self, account_id: str, **values: Any) -> None:
        await self.db.execute(
            update(accounts).where(accounts.c.id == account_id).values(**values, version=accounts.c.version + 1)
        )

    async def grants_of(self, account_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        rows = (
            (
                await self.db.execute(
                    select(grants)
                    .where(grants.c.account_id.in_(account_ids))
                    .order_by(grants.c.granted_at, grants.c.id)
                )
            )
            .mappings()
            .all()
        )
        found: dict[str, list[dict[str, Any]]] = {a: [] for a in account_ids}
        for row in rows:
            found[row["account_id"]].append(dict(row))
        return found

    async def add_grant(self, row: dict[str, Any]) -> None:
        await self.db.execute(insert(grants), row)

    async def remove_grant(self, account_id: str, grant: Grant) -> int:
        result = await self.db.execute(
            delete(grants).where(
                and_(grants.c.account_id == account_id, grants.c.role == grant.role, grants.c.scope == grant.scope)
            )
        )
        return int(result.rowcount or 0)


class SessionRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self.db = db

    async def add(self, row: dict[str, Any]) -> None:
        await self.db.execute(insert(sessions), row)

    async def by_secret_hash(self, secret_hash: str) -> dict[str, Any] | None:
        row = (await self.db.execute(select(sessions).where(sessions.c.secret_hash == secret_hash))).mappings().first()
        return dict(row) if row else None

    async def get(self, session_id: str) -> dict[str, Any] | None:
        row = (await self.db.execute(select(sessions).where(sessions.c.id == session_id))).mappings().first()
        return dict(row) if row else None

    async def open_of(self, account_id: str) -> list[dict[str, Any]]:
        rows = await self.db.execute(
            select(sessions).where(and_(sessions.c.account_id == account_id, sessions.c.ended_at.is_(None)))
        )
        return [dict(r) for r in rows.mappings().all()]

    async def count_active(self, since: datetime) -> int:
        """Sessions not ended and active at or after ``since``."""
        return int(
            (
                await self.db.execute(
                    select(func.count())
                    .select_from(sessions)
                    .where(sessions.c.ended_at.is_(None), sessions.c.last_active_at >= since)
                )
            ).scalar_one()
        )

    async def update(self, session_id: str, **values: Any) -> None:
        await self.db.execute(update(sessions).where(sessions.c.id == session_id).values(**values))

    async def end(self, session_id: str, reason: str, now: datetime) -> bool:
        """True if this call ended it (an ended session stays ended, with its first reason)."""
        result = await self.db.execute(
            update(sessions)
            .where(and_(sessions.c.id == session_id, sessions.c.ended_at.is_(None)))
            .values(ended_at=now, end_reason=reason)
        )
        return bool(result.rowcount)


class FailureRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self.db = db

    async def get(self, login_id: str) -> dict[str, Any] | None:
        row = (
            (await self.db.execute(select(sign_in_failures).where(sign_in_failures.c.login_id == login_id)))
            .mappings()
            .first()
        )
        return dict(row) if row else None

    async def record(self, login_id: str, failures: int, now: datetime, locked_until: datetime | None) -> None:
        values = {"failures": failures, "last_failed_at": now, "locked_until": locked_until}
        changed = await self.db.execute(
            update(sign_in_failures).where(sign_in_failures.c.login_id == login_id).values(**values)
        )
        if not changed.rowcount:
            await self.db.execute(insert(sign_in_failures), {"login_id": login_id, **values})

    async def clear(self, login_id: str) -> None:
        await self.db.execute(delete(sign_in_failures).where(sign_in_failures.c.login_id == login_id))


class RecoveryCodeRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self.db = db

    async def replace(self, account_id: str, rows: list[dict[str, Any]]) -> None:
        """The account's codes from now on (any earlier ones stop working)."""
        await self.remove_all(account_id)
        if rows:
            await self.db.execute(insert(recovery_codes), rows)

    async def remove_all(self, account_id: str) -> None:
        await self.db.execute(delete(recovery_codes).where(recovery_codes.c.account_id == account_id))

    async def unused(self, account_id: str) -> dict[str, str]:
        """Unused codes: id → hash."""
        rows = await self.db.execute(
            select(recovery_codes.c.id, recovery_codes.c.code_hash).where(
                recovery_codes.c.account_id == account_id, recovery_codes.c.used_at.is_(None)
            )
        )
        return {str(code_id): str(code_hash) for code_id, code_hash in rows.all()}

    async def use(self, code_id: str, now: datetime) -> bool:
        """True if this call spent it (a code is spent once, even by two requests at once)."""
        result = await self.db.execute(
            update(recovery_codes)
            .where(recovery_codes.c.id == code_id, recovery_codes.c.used_at.is_(None))
            .values(used_at=now)
        )
        return bool(result.rowcount)
