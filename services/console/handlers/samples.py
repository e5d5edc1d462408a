"""The SAMPLE accounts ``tsunagi up`` creates on the labelled sample data: one per
sample coordinator, agency and supervisor, a few reporters and an account administrator,
all with one password (``TSUNAGI_SAMPLE_PASSWORD``, or the printed default). Those whose
roles need a second factor are enrolled with one published SAMPLE key, printed with
them, so anyone trying the system can add it to an authenticator app. Never on a city's
real reference data, never in production."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp

from services.console.adapters.repository import AccountRepository
from services.console.adapters.totp import SecretBox
from services.console.domain import second_factor
from services.console.domain.accounts import Grant
from services.console.handlers.accounts import AccountCommand, add_account
from shared.db.uow import UnitOfWork
from shared.events import Actor
from shared.reference import ReferenceData

DEFAULT_SAMPLE_PASSWORD = "tsunagi-sample-2026"
# The SAMPLE accounts' TOTP key: published on purpose (sample data only, never production).
SAMPLE_TOTP_SECRET = "TSUNAGISAMPLE2FAKEYSAMPLEDATA234"
ACTOR = Actor(role="system", id="tsunagi-up")


@dataclass(frozen=True)
class SampleAccount:
    account_id: str
    display_name: str
    grants: tuple[Grant, ...]


def sample_accounts(reference: ReferenceData) -> list[SampleAccount]:
    found = [SampleAccount(c.id, c.name, (Grant("coordinator", c.area),)) for c in reference.coordinators]
    # A coordinator who also keeps the office's accounts: a person with two grants.
    found = [
        SampleAccount(a.account_id, a.display_name, (*a.grants, Grant("account_admin", "city")))
        if a.account_id == "csw-chubu-2"
        else a
        for a in found
    ]
    found += [SampleAccount(s.id, s.name, (Grant("supervisor", "city"),)) for s in reference.supervisors]
    found += [SampleAccount(f"{a.id}-staff", f"{a.name} 職員", (Grant("agency", a.id),)) for a in reference.agencies]
    reporters = (
        ("vol-1", "サンプル民生委員1", "民生委員・児童委員"),
        ("sample-minsei-1", "サンプル民生委員2", "民生委員・児童委員"),
        ("sample-hotnet-1", "サンプルほっとネット推進員1", "ほっとネット推進員"),
        ("sample-linku-1", "サンプル生活支援コーディネーター1", "生活支援コーディネーター"),
    )
    found += [
        SampleAccount(i, n, (Grant("reporter", i, kind),))
        for i, n, kind in reporters
        if kind in reference.ids("reporter_roles")
    ]
    # A community helper (地域の支援者): raises consultations and takes on small tasks.
    helpers = (("sample-helper-1", "サンプルほっとネット推進員2", "中部", "ほっとネット推進員"),)
    found += [
        SampleAccount(i, n, (Grant("reporter", i, kind), Grant("helper", area, kind)))
        for i, n, area, kind in helpers
        if kind in reference.ids("helper_kinds") and area in reference.ids("areas")
    ]
    found.append(SampleAccount("admin-1", "サンプルアカウント管理者1", (Grant("account_admin", "city"),)))
    return found


def sample_code(at: datetime, steps_ahead: int = 0) -> str:
    """The SAMPLE key's code at ``at`` (or that many 30-second steps later)."""
    totp = pyotp.TOTP(SAMPLE_TOTP_SECRET)
    return str(totp.generate_otp(totp.timecode(at) + steps_ahead))


def needs_second_factor(account: SampleAccount, second_factor_roles: tuple[str, ...] = ()) -> bool:
    return second_factor.required(account.grants, second_factor_roles)


async def ensure_sample_accounts(
    unit_of_work: Callable[[], UnitOfWork],
    reference: ReferenceData,
    password: str,
    token_ttl: timedelta,
    box: SecretBox,
    second_factor_roles: tuple[str, ...] = (),
) -> list[SampleAccount]:
    """Creates the sample accounts that do not exist yet, and enrols those that need a
    second factor with the SAMPLE key; returns them all."""
    if not reference.sample:
        raise ValueError("sample accounts are only made on the labelled sample reference data")
    accounts = sample_accounts(reference)
    async with unit_of_work() as uow:
        existing = {a["id"] for a in await AccountRepository(uow.db).listing()}
    for account in accounts:
        if account.account_id in existing:
            continue
        cmd = AccountCommand(unit_of_work(), ACTOR, f"sample-{account.account_id}", token_ttl)
        await add_account(
            cmd,
            reference,
            account_id=account.account_id,
            display_name=account.display_name,
            password=password,
            grants=list(account.grants),
            must_change_password=False,
            sample=True,
        )
    async with unit_of_work() as uow:
        repo = AccountRepository(uow.db)
        for account in accounts:
            row = await repo.get(account.account_id)
            if (
                row
                and row["sample"]
                and row["totp_confirmed_at"] is None
                and needs_second_factor(account, second_factor_roles)
            ):
                now = uow.clock.now()
                await repo.update(account.account_id, totp_secret=box.seal(SAMPLE_TOTP_SECRET), totp_confirmed_at=now)
        await uow.commit()
    return accounts
