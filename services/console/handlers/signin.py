"""Signing in and out, and the session a browser holds.

The cookie carries a random secret; the table keeps only its hash, so a copy of the
database opens no session. The password is checked outside any transaction (Argon2 takes
tens of milliseconds and the embedded database has one connection per process)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from services.console.adapters.passwords import hash_password, verify_password
from services.console.adapters.repository import AccountRepository, FailureRepository, SessionRepository
from services.console.domain import second_factor
from services.console.domain.accounts import Grant, check_password
from services.console.domain.signin import LockoutPolicy, is_idle, is_locked, minutes_left, should_record_activity
from services.console.handlers.accounts import AccountCommand, end_sessions
from shared.clock import as_utc
from shared.db.uow import UnitOfWork
from shared.errors import InvalidInput, NotFound
from shared.events import Actor, new_event_id


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class HeldGrant:
    id: str
    grant: Grant


@dataclass(frozen=True)
class SignedIn:
    session_id: str
    account_id: str
    display_name: str
    csrf_token: str
    grants: tuple[HeldGrant, ...]
    chosen: HeldGrant | None
    must_change_password: bool
    # "code": the second step is still to come; "enrolment": a second factor must be set up.
    awaiting: str | None = None

    @property
    def actor(self) -> Actor:
        role = self.chosen.grant.role if self.chosen else "system"
        return Actor(role=role, id=self.account_id)


SignInOutcome = Literal["ok", "failed", "locked", "disabled"]


@dataclass(frozen=True)
class SignInResult:
    outcome: SignInOutcome
    secret: str | None = None
    delay_s: float = 0.0
    locked_minutes: int = 0


async def sign_in(
    unit_of_work: Callable[[], UnitOfWork],
    policy: LockoutPolicy,
    login_id: str,
    password: str,
    second_factor_roles: tuple[str, ...] = (),
) -> SignInResult:
    """The password step. With a second factor enrolled the session waits for its code;
    without one where the person's roles require it, for its enrolment."""
    login_id = login_id.strip().lower()[:64]
    async with unit_of_work() as uow:
        now = uow.clock.now()
        failure = await FailureRepository(uow.db).get(login_id)
        locked_until = as_utc(failure["locked_until"]) if failure and failure["locked_until"] else None
        if is_locked(locked_until, now):
            assert locked_until is not None
            return SignInResult("locked", locked_minutes=minutes_left(locked_until, now))
        account = await AccountRepository(uow.db).get(login_id)
    if not await verify_password(account["password_hash"] if account else None, password):
        return await record_failure(unit_of_work, policy, login_id, failure["failures"] if failure else 0)
    assert account is not None
    if account["disabled"]:
        return SignInResult("disabled")
    secret = secrets.token_urlsafe(32)
    async with unit_of_work() as uow:
        now = uow.clock.now()
        await FailureRepository(uow.db).clear(login_id)
        rows = (await AccountRepository(uow.db).grants_of([login_id]))[login_id]
        held = [Grant(r["role"], r["scope"], r["kind"]) for r in rows]
        if account["totp_confirmed_at"] is not None:
            awaiting: str | None = "code"
        else:
            awaiting = "enrolment" if second_factor.required(held, second_factor_roles) else None
        await SessionRepository(uow.db).add(
            {
                "id": new_event_id(),
                "secret_hash": secret_hash(secret),
                "account_id": login_id,
                # One grant: nothing to choose.
                "grant_id": rows[0]["id"] if len(rows) == 1 else None,
                "awaiting": awaiting,
                "csrf_token": secrets.token_urlsafe(32),
                "created_at": now,
                "last_active_at": now,
                "ended_at": None,
                "end_reason": None,
            }
        )
        await AccountRepository(uow.db).update(login_id, last_sign_in_at=now)
        await uow.commit()
    return SignInResult("ok", secret=secret)


async def record_failure(
    unit_of_work: Callable[[], UnitOfWork], policy: LockoutPolicy, login_id: str, failures_before: int
) -> SignInResult:
    async with unit_of_work() as uow:
        now = uow.clock.now()
        failures, locked_until = policy.after_failure(failures_before, now)
        await FailureRepository(uow.db).record(login_id, failures, now, locked_until)
        await uow.commit()
    if locked_until is not None:
        return SignInResult("locked", delay_s=policy.delay(failures), locked_minutes=minutes_left(locked_until, now))
    return SignInResult("failed", delay_s=policy.delay(failures))


@dataclass(frozen=True)
class Ended:
    reason: str


async def current_session(
    unit_of_work: Callable[[], UnitOfWork],
    secret: str,
    *,
    idle_timeout: timedelta,
    token_ttl: timedelta,
    background: bool,
) -> SignedIn | Ended | None:
    """The browser's session, or why it is over (None: there never was one). A
    background refresh (the queue polling for new cases) does not count as activity."""
    async with unit_of_work() as uow:
        now = uow.clock.now()
        sessions = SessionRepository(uow.db)
        session = await sessions.by_secret_hash(secret_hash(secret))
        if session is None:
            return None
        if session["ended_at"] is not None:
            return Ended(session["end_reason"] or "signed_out")
        account = await AccountRepository(uow.db).get(session["account_id"])
        assert account is not None
        if account["disabled"] or is_idle(as_utc(session["last_active_at"]), now, idle_timeout):
            reason = "disabled" if account["disabled"] else "idle"
            cmd = AccountCommand(uow, Actor(role="system", id="console"), session["id"], token_ttl)
            await end_sessions(cmd, [session], reason)  # type: ignore[arg-type]
            await uow.commit()
            return Ended(reason)
        if not background and should_record_activity(as_utc(session["last_active_at"]), now):
            await sessions.update(session["id"], last_active_at=now)
            await uow.commit()
        rows = (await AccountRepository(uow.db).grants_of([account["id"]]))[account["id"]]
    held = tuple(HeldGrant(r["id"], Grant(r["role"], r["scope"], r["kind"])) for r in rows)
    chosen = next((h for h in held if h.id == session["grant_id"]), None)
    return SignedIn(
        session_id=session["id"],
        account_id=account["id"],
        display_name=account["display_name"],
        csrf_token=session["csrf_token"],
        grants=held,
        chosen=chosen,
        must_change_password=account["must_change_password"],
        awaiting=session["awaiting"],
    )


async def active_sessions(unit_of_work: Callable[[], UnitOfWork], idle_timeout: timedelta) -> int:
    """Sessions open and used within the idle timeout (an idle one ends at its next request)."""
    async with unit_of_work() as uow:
        return await SessionRepository(uow.db).count_active(uow.clock.now() - idle_timeout)


async def choose_grant(unit_of_work: Callable[[], UnitOfWork], session: SignedIn, grant_id: str) -> HeldGrant:
    chosen = next((h for h in session.grants if h.id == grant_id), None)
    if chosen is None:
        raise InvalidInput("選べる役割の中から選んでください。", field="grant_id")
    async with unit_of_work() as uow:
        await SessionRepository(uow.db).update(session.session_id, grant_id=chosen.id)
        await uow.commit()
    return chosen


async def sign_out(
    unit_of_work: Callable[[], UnitOfWork], session: SignedIn, token_ttl: timedelta, correlation_id: str
) -> None:
    async with unit_of_work() as uow:
        row = await SessionRepository(uow.db).get(session.session_id)
        if row is not None:
            cmd = AccountCommand(uow, session.actor, correlation_id, token_ttl)
            await end_sessions(cmd, [row], "signed_out")
            await uow.commit()


async def change_own_password(
    unit_of_work: Callable[[], UnitOfWork], session: SignedIn, current: str, new: str
) -> None:
    """The person's own new password; their other sessions stay as they are."""
    check_password(new, session.account_id)
    if current == new:
        raise InvalidInput("今のパスワードとは違うパスワードにしてください。", field="new_password")
    async with unit_of_work() as uow:
        account = await AccountRepository(uow.db).get(session.account_id)
    if account is None:
        raise NotFound("アカウントが見つかりません。")
    if not await verify_password(account["password_hash"], current):
        raise InvalidInput("今のパスワードが正しくありません。", field="current_password")
    password_hash = await hash_password(new)
    async with unit_of_work() as uow:
        await AccountRepository(uow.db).update(
            session.account_id, password_hash=password_hash, must_change_password=False, updated_at=uow.clock.now()
        )
        await uow.commit()
