"""Who may still act, as every service learns it from the console: ``account.*``
events (each account's grants, disabled or not) and ``session.ended`` (a signed-out,
idle or revoked session). Each service applies them into its own tables (shared by its
replicas: each event reaches one replica only), and every process keeps an in-memory
copy refreshed every ``access_refresh_s`` — so a disabled account or an ended session
is refused everywhere within seconds, without a database read per request."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db.sql import insert_missing
from shared.db.tables import AccessTables
from shared.db.uow import UnitOfWork
from shared.events import (
    AccountCreated,
    AccountDisabled,
    AccountEnabled,
    AccountGrantsChanged,
    Envelope,
    SessionEnded,
)
from shared.messaging.handlers import EventHandlers

ACCOUNT_EVENTS = (AccountCreated, AccountGrantsChanged, AccountDisabled, AccountEnabled)


def on_access_events(handlers: EventHandlers, tables: AccessTables) -> None:
    """Registers the handlers that keep ``tables`` up to date. Off any request's critical
    path: applied in the background (see ``EventHandlers.in_background``)."""

    async def apply_account(envelope: Envelope, uow: UnitOfWork) -> None:
        model = next(m for m in ACCOUNT_EVENTS if m.TYPE == envelope.type)
        state = envelope.payload_as(model)
        accounts = tables.accounts
        dialect = postgresql if uow.db.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(accounts).values(
            account_id=state.account_id,
            disabled=state.disabled,
            grants=[g.model_dump() for g in state.grants],
            event_id=envelope.event_id,
            updated_at=uow.clock.now(),
        )
        # The later event wins whatever the arrival order (event ids sort by time).
        await uow.db.execute(
            statement.on_conflict_do_update(
                index_elements=[accounts.c.account_id],
                set_={c: statement.excluded[c] for c in ("disabled", "grants", "event_id", "updated_at")},
                where=accounts.c.event_id < statement.excluded.event_id,
            )
        )

    async def apply_session_ended(envelope: Envelope, uow: UnitOfWork) -> None:
        ended = envelope.payload_as(SessionEnded)
        await insert_missing(
            uow.db,
            tables.ended_sessions,
            [
                {
                    "session_id": ended.session_id,
                    "account_id": ended.account_id,
                    "reason": ended.reason,
                    "ended_at": envelope.occurred_at,
                    "valid_until": ended.valid_until,
                }
            ],
        )

    handlers.on(*ACCOUNT_EVENTS)(apply_account)
    handlers.on(SessionEnded)(apply_session_ended)
    handlers.in_background("account", "session")


class AccessRegistry:
    """This process's copy of the accounts and ended sessions its service knows."""

    def __init__(self) -> None:
        self._ended: frozenset[str] = frozenset()
        self._disabled: frozenset[str] = frozenset()
        self._grants: dict[str, frozenset[tuple[str, str]]] = {}
        self.refreshed_at: datetime | None = None

    def refusal(self, *, subject: str, role: str, scope: str, session_id: str | None) -> str | None:
        """Why a token for this subject, role, scope and session is no longer good
        (Japanese, for the 401), or None."""
        if session_id is not None and session_id in self._ended:
            return "このセッションは終了しています。もう一度サインインしてください。"
        if subject in self._disabled:
            return "このアカウントは利用停止されています。"
        grants = self._grants.get(subject)
        if grants is not None and (role, scope) not in grants:
            # A console session acts under one grant; once it is taken away, so is the token.
            if session_id is not None:
                return "この役割の権限は取り消されています。もう一度サインインしてください。"
            return "このアカウントはこの役割・範囲の権限を持っていません。"
        return None

    def knows(self, subject: str) -> bool:
        """Whether the subject is an account the console has told this service about."""
        return subject in self._grants

    def is_disabled(self, subject: str) -> bool:
        """Whether the console disabled the account (a stranger is not disabled: see ``knows``)."""
        return subject in self._disabled

    async def refresh(self, engine: AsyncEngine, tables: AccessTables, now: datetime) -> None:
        async with engine.connect() as db:
            accounts = (
                await db.execute(
                    select(tables.accounts.c.account_id, tables.accounts.c.disabled, tables.accounts.c.grants)
                )
            ).all()
            ended: Sequence[str] = (
                (
                    await db.execute(
                        select(tables.ended_sessions.c.session_id).where(tables.ended_sessions.c.valid_until > now)
                    )
                )
                .scalars()
                .all()
            )
        self._disabled = frozenset(a.account_id for a in accounts if a.disabled)
        self._grants = {a.account_id: _grant_pairs(a.grants) for a in accounts}
        self._ended = frozenset(ended)
        self.refreshed_at = now

    @staticmethod
    async def forget_expired(engine: AsyncEngine, tables: AccessTables, now: datetime) -> None:
        """Ended sessions whose tokens have all expired need not be remembered."""
        async with engine.begin() as db:
            await db.execute(delete(tables.ended_sessions).where(tables.ended_sessions.c.valid_until <= now))


def _grant_pairs(grants: list[dict[str, Any]] | None) -> frozenset[tuple[str, str]]:
    return frozenset((g["role"], g["scope"]) for g in grants or [])
