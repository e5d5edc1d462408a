"""Managing accounts: one unit of work per command. Every change the services must know
(an account's grants, disabled or not) is published as ``account.*`` through the
outbox in the same transaction; sessions a change makes void end with ``session.ended``.
The command line (``tsunagi user``) and the browser's account pages call these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from services.console.adapters.passwords import hash_password
from services.console.adapters.repository import AccountRepository, SessionRepository
from services.console.domain.accounts import (
    Grant,
    check_account_id,
    check_display_name,
    check_grant,
    check_password,
)
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, InvalidInput, NotFound
from shared.events import (
    AccountCreated,
    AccountDisabled,
    AccountEnabled,
    AccountGrantsChanged,
    Actor,
    Envelope,
    SessionEnded,
    new_event_id,
)
from shared.events.account import AccountGrant, AccountState, SessionEndReason
from shared.reference import ReferenceData


@dataclass(frozen=True)
class AccountCommand:
    """Who is acting, and the context every account command needs."""

    uow: UnitOfWork
    actor: Actor
    correlation_id: str
    token_ttl: timedelta


def grants_from_rows(rows: list[dict[str, Any]]) -> list[Grant]:
    return [Grant(r["role"], r["scope"], r["kind"]) for r in rows]


async def _load(uow: UnitOfWork, account_id: str) -> dict[str, Any]:
    account = await AccountRepository(uow.db).get(account_id, for_update=True)
    if account is None:
        raise NotFound(f"アカウント「{account_id}」は登録されていません。", field="account_id")
    return account


async def _publish_state(cmd: AccountCommand, account_id: str, event: type[AccountState]) -> None:
    repo = AccountRepository(cmd.uow.db)
    account = await repo.get(account_id)
    assert account is not None
    held = grants_from_rows((await repo.grants_of([account_id]))[account_id])
    payload = event(
        account_id=account_id,
        disabled=account["disabled"],
        grants=[_published(g) for g in held if g.uses_services],
    )
    cmd.uow.publish(Envelope.wrap(payload, aggregate_id=account_id, actor=cmd.actor, correlation_id=cmd.correlation_id))


def _published(grant: Grant) -> AccountGrant:
    """A helper's kind goes with the grant: the services keep the registry of helpers by area."""
    return AccountGrant(role=grant.role, scope=grant.scope, kind=grant.kind if grant.role == "helper" else None)


async def end_sessions(cmd: AccountCommand, sessions: list[dict[str, Any]], reason: SessionEndReason) -> int:
    """Ends the sessions and tells every service: their tokens are refused from now on."""
    now = cmd.uow.clock.now()
    repo = SessionRepository(cmd.uow.db)
    ended = 0
    for session in sessions:
        if await repo.end(session["id"], reason, now):
            ended += 1
            cmd.uow.publish(
                Envelope.wrap(
                    SessionEnded(
                        session_id=session["id"],
                        account_id=session["account_id"],
                        reason=reason,
                        valid_until=now + cmd.token_ttl,
                    ),
                    aggregate_id=session["id"],
                    actor=cmd.actor,
                    correlation_id=cmd.correlation_id,
                )
            )
    return ended


async def add_account(
    cmd: AccountCommand,
    reference: ReferenceData,
    *,
    account_id: str,
    display_name: str,
    password: str,
    grants: list[Grant],
    must_change_password: bool = True,
    sample: bool = False,
) -> None:
    check_account_id(account_id)
    display_name = check_display_name(display_name)
    check_password(password, account_id)
    checked = [check_grant(account_id, g, reference) for g in grants]
    password_hash = await hash_password(password)
    async with cmd.uow as uow:
        repo = AccountRepository(uow.db)
        if await repo.get(account_id) is not None:
            raise Conflict(f"アカウント「{account_id}」はすでにあります。", field="account_id")
        now = uow.clock.now()
        await repo.add(
            {
                "id": account_id,
                "display_name": display_name,
                "password_hash": password_hash,
                "must_change_password": must_change_password,
                "disabled": False,
                "sample": sample,
                "created_at": now,
                "updated_at": now,
                "last_sign_in_at": None,
                "version": 1,
            }
        )
        for grant in dict.fromkeys(checked):
            await _insert_grant(cmd, account_id, grant)
        await _publish_state(cmd, account_id, AccountCreated)
        await uow.commit()


async def _insert_grant(cmd: AccountCommand, account_id: str, grant: Grant) -> None:
    await AccountRepository(cmd.uow.db).add_grant(
        {
            "id": new_event_id(),
            "account_id": account_id,
            "role": grant.role,
            "scope": grant.scope,
            "kind": grant.kind,
            "granted_by": cmd.actor.id,
            "granted_at": cmd.uow.clock.now(),
        }
    )


def _not_oneself(cmd: AccountCommand, account_id: str) -> None:
    """No one changes their own grants in the browser (no self-promotion); operators on
    the command line act as the system."""
    if cmd.actor.role != "system" and cmd.actor.id == account_id:
        raise InvalidInput("自分の権限は変更できません。別の管理者に依頼してください。", field="role")


async def add_grant(cmd: AccountCommand, reference: ReferenceData, account_id: str, grant: Grant) -> None:
    _not_oneself(cmd, account_id)
    grant = check_grant(account_id, grant, reference)
    async with cmd.uow as uow:
        await _load(uow, account_id)
        held = grants_from_rows((await AccountRepository(uow.db).grants_of([account_id]))[account_id])
        if grant.key in {g.key for g in held}:
            raise Conflict("この権限はすでに付いています。", field="role")
        await _insert_grant(cmd, account_id, grant)
        await AccountRepository(uow.db).update(account_id, updated_at=uow.clock.now())
        await _publish_state(cmd, account_id, AccountGrantsChanged)
        await uow.commit()


async def revoke_grant(cmd: AccountCommand, account_id: str, grant: Grant) -> None:
    """Takes a grant away; sessions acting under it end (their tokens stop at once)."""
    _not_oneself(cmd, account_id)
    async with cmd.uow as uow:
        await _load(uow, account_id)
        repo = AccountRepository(uow.db)
        rows = (await repo.grants_of([account_id]))[account_id]
        removed = next((r for r in rows if (r["role"], r["scope"]) == grant.key), None)
        if removed is None:
            raise NotFound("このアカウントにその権限はありません。", field="role")
        await repo.remove_grant(account_id, grant)
        await repo.update(account_id, updated_at=uow.clock.now())
        sessions = [s for s in await SessionRepository(uow.db).open_of(account_id) if s["grant_id"] == removed["id"]]
        await end_sessions(cmd, sessions, "grants_changed")
        await _publish_state(cmd, account_id, AccountGrantsChanged)
        await uow.commit()


async def move_coordinator(cmd: AccountCommand, reference: ReferenceData, account_id: str, to_area: str) -> str:
    """人事異動: the coordinator's grant moves to another area (the reference data must
    already place them there). Sessions under the old grant end. Returns the old area."""
    _not_oneself(cmd, account_id)
    new = check_grant(account_id, Grant("coordinator", to_area), reference)
    async with cmd.uow as uow:
        await _load(uow, account_id)
        repo = AccountRepository(uow.db)
        rows = [r for r in (await repo.grants_of([account_id]))[account_id] if r["role"] == "coordinator"]
        if not rows:
            raise InvalidInput(f"「{account_id}」にはコーディネーターの権限がありません。", field="account_id")
        if any(r["scope"] == new.scope for r in rows):
            raise Conflict(f"「{account_id}」はすでに{new.scope}の担当です。", field="scope")
        ids = {r["id"] for r in rows}
        for row in rows:
            await repo.remove_grant(account_id, Grant(row["role"], row["scope"]))
        await _insert_grant(cmd, account_id, new)
        await repo.update(account_id, updated_at=uow.clock.now())
        await end_sessions(
            cmd,
            [s for s in await SessionRepository(uow.db).open_of(account_id) if s["grant_id"] in ids],
            "grants_changed",
        )
        await _publish_state(cmd, account_id, AccountGrantsChanged)
        await uow.commit()
    return ", ".join(r["scope"] for r in rows)


async def set_disabled(cmd: AccountCommand, account_id: str, disabled: bool) -> None:
    """Disabling ends every session of the account at once; enabling lets it sign in again."""
    if disabled and cmd.actor.id == account_id:
        raise InvalidInput("自分のアカウントは利用停止にできません。", field="account_id")
    async with cmd.uow as uow:
        account = await _load(uow, account_id)
        if account["disabled"] == disabled:
            raise Conflict("すでに利用停止中です。" if disabled else "すでに利用できる状態です。")
        await AccountRepository(uow.db).update(account_id, disabled=disabled, updated_at=uow.clock.now())
        if disabled:
            await end_sessions(cmd, await SessionRepository(uow.db).open_of(account_id), "disabled")
        await _publish_state(cmd, account_id, AccountDisabled if disabled else AccountEnabled)
        await uow.commit()


async def reset_password(cmd: AccountCommand, account_id: str, password: str, *, must_change: bool = True) -> None:
    """A new password set by an administrator: every session ends, and the person chooses
    their own password at the next sign-in."""
    check_password(password, account_id)
    password_hash = await hash_password(password)
    async with cmd.uow as uow:
        await _load(uow, account_id)
        await AccountRepository(uow.db).update(
            account_id, password_hash=password_hash, must_change_password=must_change, updated_at=uow.clock.now()
        )
        await end_sessions(cmd, await SessionRepository(uow.db).open_of(account_id), "password_reset")
        await uow.commit()


async def listing(uow: UnitOfWork, account_ids: list[str] | None = None) -> list[dict[str, Any]]:
    """Accounts with their grants and whether they have a second factor (never the
    password hash or the second factor's secret)."""
    async with uow:
        repo = AccountRepository(uow.db)
        rows = await repo.listing(account_ids)
        held = await repo.grants_of([r["id"] for r in rows])
    return [
        {
            **{k: v for k, v in r.items() if k not in _SECRET_COLUMNS},
            "second_factor": r["totp_confirmed_at"] is not None,
            "grants": grants_from_rows(held[r["id"]]),
        }
        for r in rows
    ]


_SECRET_COLUMNS = ("password_hash", "totp_secret", "totp_last_step")
