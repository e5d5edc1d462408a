"""The second factor: enrolling one (a TOTP secret confirmed by a code, then ten
recovery codes shown once), the second sign-in step, and an administrator's reset.

A wrong code counts as a failed sign-in of the account (the same slow-down and lockout
as a wrong password); the lockout ends the waiting session."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from services.console.adapters import totp
from services.console.adapters.repository import (
    AccountRepository,
    FailureRepository,
    RecoveryCodeRepository,
    SessionRepository,
)
from services.console.domain import second_factor
from services.console.domain.signin import LockoutPolicy, is_locked, minutes_left
from services.console.handlers.accounts import AccountCommand, end_sessions
from services.console.handlers.signin import SignedIn, SignInResult, record_failure
from shared.clock import as_utc
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, InvalidInput, NotFound
from shared.events import Actor, new_event_id
from shared.logging import get_logger

log = get_logger(__name__)
UnitOfWorkFactory = Callable[[], UnitOfWork]


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str
    qr_svg: str


async def status(unit_of_work: UnitOfWorkFactory, account_id: str) -> tuple[bool, int]:
    """Whether the account has a second factor, and how many recovery codes are left."""
    async with unit_of_work() as uow:
        account = await AccountRepository(uow.db).get(account_id)
        if account is None:
            raise NotFound("アカウントが見つかりません。")
        left = len(await RecoveryCodeRepository(uow.db).unused(account_id))
    return account["totp_confirmed_at"] is not None, left


async def start_enrolment(unit_of_work: UnitOfWorkFactory, box: totp.SecretBox, who: SignedIn) -> Enrolment:
    """The secret to scan: the one already offered (a reload shows the same QR code), or a
    new one."""
    async with unit_of_work() as uow:
        repo = AccountRepository(uow.db)
        account = await repo.get(who.account_id, for_update=True)
        if account is None:
            raise NotFound("アカウントが見つかりません。")
        if account["totp_confirmed_at"] is not None:
            raise Conflict("2段階認証はすでに設定されています。")
        secret = box.open(account["totp_secret"]) if account["totp_secret"] else None
        if secret is None:
            secret = totp.new_secret()
            await repo.update(who.account_id, totp_secret=box.seal(secret), updated_at=uow.clock.now())
            await uow.commit()
    uri = totp.provisioning_uri(secret, who.account_id)
    return Enrolment(secret=secret, uri=uri, qr_svg=totp.qr_svg(uri))


async def confirm_enrolment(
    unit_of_work: UnitOfWorkFactory, box: totp.SecretBox, who: SignedIn, code: str
) -> list[str]:
    """A code from the app proves it holds the secret; returns the recovery codes (the
    only time they are readable)."""
    typed = second_factor.normalise(code)
    if not second_factor.is_totp_code(typed):
        raise InvalidInput("認証アプリに表示された6桁の数字を入力してください。", field="code")
    codes = totp.new_recovery_codes()
    hashes = await totp.hash_recovery_codes(codes)
    async with unit_of_work() as uow:
        repo = AccountRepository(uow.db)
        account = await repo.get(who.account_id, for_update=True)
        if account is None or not account["totp_secret"]:
            raise Conflict("設定をやり直してください。", field="code")
        if account["totp_confirmed_at"] is not None:
            raise Conflict("2段階認証はすでに設定されています。", field="code")
        secret = box.open(account["totp_secret"])
        now = uow.clock.now()
        step = totp.matching_step(secret, typed, now) if secret else None
        if step is None:
            raise InvalidInput(
                "コードが正しくありません。認証アプリの時刻が合っているか確かめて、今表示されているコードを入力してください。",
                field="code",
            )
        await repo.update(who.account_id, totp_confirmed_at=now, totp_last_step=step, updated_at=now)
        await RecoveryCodeRepository(uow.db).replace(
            who.account_id,
            [
                {"id": new_event_id(), "account_id": who.account_id, "code_hash": h, "created_at": now, "used_at": None}
                for h in hashes
            ],
        )
        await SessionRepository(uow.db).update(who.session_id, awaiting=None)
        await uow.commit()
    log.info("second_factor_enrolled", account_id=who.account_id)
    return codes


async def verify_second_step(
    unit_of_work: UnitOfWorkFactory,
    box: totp.SecretBox,
    policy: LockoutPolicy,
    who: SignedIn,
    code: str,
    token_ttl: timedelta,
) -> SignInResult:
    """The six digits from the app, or one unused recovery code (spent by this)."""
    typed = second_factor.normalise(code)
    async with unit_of_work() as uow:
        now = uow.clock.now()
        failure = await FailureRepository(uow.db).get(who.account_id)
        locked_until = as_utc(failure["locked_until"]) if failure and failure["locked_until"] else None
        if is_locked(locked_until, now):
            assert locked_until is not None
            return SignInResult("locked", locked_minutes=minutes_left(locked_until, now))
        account = await AccountRepository(uow.db).get(who.account_id)
        unused = await RecoveryCodeRepository(uow.db).unused(who.account_id)
    assert account is not None
    recovery_id = None
    step = None
    if second_factor.is_totp_code(typed) and account["totp_secret"]:
        secret = box.open(account["totp_secret"])
        step = totp.matching_step(secret, typed, now) if secret else None
        if step is not None and not second_factor.is_fresh(step, account["totp_last_step"]):
            step = None
    elif second_factor.is_recovery_code(typed):
        recovery_id = await totp.matching_recovery_code(unused, typed)
    async with unit_of_work() as uow:
        now = uow.clock.now()
        accepted = step is not None or (
            recovery_id is not None and await RecoveryCodeRepository(uow.db).use(recovery_id, now)
        )
        if accepted:
            if step is not None:
                await AccountRepository(uow.db).update(who.account_id, totp_last_step=step)
            await FailureRepository(uow.db).clear(who.account_id)
            await SessionRepository(uow.db).update(who.session_id, awaiting=None, last_active_at=now)
            await uow.commit()
    if accepted:
        if recovery_id is not None:
            log.info("recovery_code_used", account_id=who.account_id, left=len(unused) - 1)
        return SignInResult("ok")
    result = await record_failure(unit_of_work, policy, who.account_id, failure["failures"] if failure else 0)
    if result.outcome == "locked":
        await _end_waiting_session(unit_of_work, who, token_ttl)
    return result


async def _end_waiting_session(unit_of_work: UnitOfWorkFactory, who: SignedIn, token_ttl: timedelta) -> None:
    async with unit_of_work() as uow:
        row = await SessionRepository(uow.db).get(who.session_id)
        if row is not None:
            cmd = AccountCommand(uow, Actor(role="system", id="console"), who.session_id, token_ttl)
            await end_sessions(cmd, [row], "signed_out")
            await uow.commit()


async def reset(cmd: AccountCommand, account_id: str) -> None:
    """An administrator clears a person's second factor (a lost phone): the secret and the
    recovery codes go; the next sign-in asks them to set it up again where required."""
    if cmd.actor.role != "system" and cmd.actor.id == account_id:
        raise InvalidInput("自分の2段階認証は再設定できません。別の管理者に依頼してください。", field="account_id")
    async with cmd.uow as uow:
        repo = AccountRepository(uow.db)
        account = await repo.get(account_id, for_update=True)
        if account is None:
            raise NotFound(f"アカウント「{account_id}」は登録されていません。", field="account_id")
        if account["totp_secret"] is None:
            raise Conflict("このアカウントには2段階認証が設定されていません。")
        await repo.update(
            account_id, totp_secret=None, totp_confirmed_at=None, totp_last_step=None, updated_at=uow.clock.now()
        )
        await RecoveryCodeRepository(uow.db).remove_all(account_id)
        await uow.commit()
    log.info("second_factor_reset", account_id=account_id, by=cmd.actor.id, by_role=cmd.actor.role)
