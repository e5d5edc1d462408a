"""The console's accounts and sessions on SQLite and PostgreSQL: what the outbox tells
the services (grants and ids, never names or password hashes), Argon2id hashes, the
lockout, and the sessions a change ends."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from services.console.adapters.orm import accounts, messaging, sessions
from services.console.domain.accounts import Grant
from services.console.domain.signin import LockoutPolicy
from services.console.handlers import accounts as handlers
from services.console.handlers.accounts import AccountCommand
from services.console.handlers.signin import current_session, sign_in
from shared.clock import Clock
from shared.db.engine import make_engine
from shared.db.migrate import migrate
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, InvalidInput
from shared.events import Actor
from shared.reference import load_reference_data
from shared.settings import PROJECT_ROOT, Settings

REFERENCE = load_reference_data(PROJECT_ROOT / "reference")
PASSWORD = "integration-pass-1"
TTL = timedelta(minutes=5)
POLICY = LockoutPolicy(attempts=3, lock_for=timedelta(minutes=15))


@pytest.fixture
async def console(make_settings: Any, database_backend: str) -> Any:
    settings: Settings = make_settings()
    await migrate(settings, "console")
    engine = make_engine(settings, "console", pool_size=2)
    yield lambda: UnitOfWork(engine, messaging, Clock())
    await engine.dispose()


def _cmd(unit_of_work: Any) -> AccountCommand:
    return AccountCommand(unit_of_work(), Actor(role="supervisor", id="sv-1"), "corr-1", TTL)


async def _outbox(unit_of_work: Any) -> list[dict[str, Any]]:
    async with unit_of_work() as uow:
        rows = await uow.db.execute(select(messaging.outbox.c.envelope).order_by(messaging.outbox.c.id))
        return [r[0] for r in rows]


async def test_an_account_is_told_to_the_services_without_names_or_hashes(console: Any) -> None:
    await handlers.add_account(
        _cmd(console),
        REFERENCE,
        account_id="csw-chubu-1",
        display_name="サンプル 花子",
        password=PASSWORD,
        grants=[Grant("coordinator", "中部"), Grant("account_admin", "city")],
    )
    [created] = await _outbox(console)
    assert created["type"] == "account.created"
    assert created["payload"] == {
        "account_id": "csw-chubu-1",
        "disabled": False,
        "grants": [{"role": "coordinator", "scope": "中部", "kind": None}],
    }  # console-only roles stay here; only a helper's kind travels (the registry of helpers)
    assert "サンプル" not in str(created) and "argon2" not in str(created)
    async with console() as uow:
        stored = (await uow.db.execute(select(accounts.c.password_hash))).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    with pytest.raises(Conflict):
        await handlers.add_account(
            _cmd(console), REFERENCE, account_id="csw-chubu-1", display_name="x", password=PASSWORD, grants=[]
        )
    with pytest.raises(InvalidInput) as refused:
        await handlers.add_account(
            _cmd(console),
            REFERENCE,
            account_id="hc-9-staff",
            display_name="x",
            password=PASSWORD,
            grants=[Grant("agency", "hc-99")],
        )
    assert refused.value.field == "scope"


async def test_sign_in_locks_after_repeated_failures_whether_or_not_the_id_exists(console: Any) -> None:
    await handlers.add_account(
        _cmd(console),
        REFERENCE,
        account_id="vol-7",
        display_name="サンプル",
        password=PASSWORD,
        grants=[Grant("reporter", "", "民生委員・児童委員")],
    )
    for login in ("vol-7", "nobody-here"):
        outcomes = [(await sign_in(console, POLICY, login, "wrong-password")).outcome for _ in range(3)]
        assert outcomes == ["failed", "failed", "locked"]
    assert (await sign_in(console, POLICY, "vol-7", PASSWORD)).outcome == "locked"
    assert (await sign_in(console, POLICY, "nobody-here", PASSWORD)).outcome == "locked"


async def test_disabling_and_revoking_end_the_sessions_they_concern(console: Any) -> None:
    await handlers.add_account(
        _cmd(console),
        REFERENCE,
        account_id="csw-chubu-2",
        display_name="サンプル",
        password=PASSWORD,
        grants=[Grant("coordinator", "中部"), Grant("account_admin", "city")],
    )
    first = await sign_in(console, POLICY, "csw-chubu-2", PASSWORD)
    second = await sign_in(console, POLICY, "csw-chubu-2", PASSWORD)
    assert first.secret and second.secret
    # Two grants: nothing chosen yet; revoking a grant the sessions do not use ends none.
    await handlers.revoke_grant(_cmd(console), "csw-chubu-2", Grant("account_admin", "city"))
    active = await current_session(
        console, first.secret, idle_timeout=timedelta(minutes=30), token_ttl=TTL, background=False
    )
    assert getattr(active, "account_id", None) == "csw-chubu-2"
    await handlers.set_disabled(_cmd(console), "csw-chubu-2", True)
    types = [e["type"] for e in await _outbox(console)]
    assert types == ["account.created", "account.grants_changed", "session.ended", "session.ended", "account.disabled"]
    ended = await current_session(
        console, second.secret, idle_timeout=timedelta(minutes=30), token_ttl=TTL, background=False
    )
    assert getattr(ended, "reason", None) == "disabled"
    assert (await sign_in(console, POLICY, "csw-chubu-2", PASSWORD)).outcome == "disabled"
    async with console() as uow:
        reasons = (await uow.db.execute(select(sessions.c.end_reason))).scalars().all()
    assert reasons == ["disabled", "disabled"]


async def test_a_coordinator_moves_area_only_as_the_reference_data_says(console: Any) -> None:
    await handlers.add_account(
        _cmd(console),
        REFERENCE,
        account_id="csw-seibu-1",
        display_name="サンプル",
        password=PASSWORD,
        grants=[Grant("coordinator", "西部")],
    )
    with pytest.raises(InvalidInput) as refused:
        await handlers.move_coordinator(_cmd(console), REFERENCE, "csw-seibu-1", "南部")
    assert "西部の担当" in refused.value.message
    assert await handlers.move_coordinator(_cmd(console), REFERENCE, "csw-seibu-1", "市全域") == "西部"
    [listed] = await handlers.listing(console(), ["csw-seibu-1"])
    assert listed["grants"] == [Grant("coordinator", "市全域")] and "password_hash" not in listed


async def test_no_one_changes_their_own_grants(console: Any) -> None:
    await handlers.add_account(
        _cmd(console),
        REFERENCE,
        account_id="admin-9",
        display_name="サンプル",
        password=PASSWORD,
        grants=[Grant("account_admin", "city")],
    )
    themselves = AccountCommand(console(), Actor(role="account_admin", id="admin-9"), "corr-2", TTL)
    with pytest.raises(InvalidInput, match="自分の権限"):
        await handlers.add_grant(themselves, REFERENCE, "admin-9", Grant("supervisor", "city"))


async def test_a_helpers_area_and_kind_are_told_to_the_services(console: Any) -> None:
    await handlers.add_account(
        _cmd(console),
        REFERENCE,
        account_id="hotnet-9",
        display_name="サンプル 推進員",
        password=PASSWORD,
        grants=[Grant("reporter", "", "ほっとネット推進員"), Grant("helper", "中部", "ほっとネット推進員")],
    )
    [created] = await _outbox(console)
    assert created["payload"]["grants"] == [
        {"role": "reporter", "scope": "hotnet-9", "kind": None},
        {"role": "helper", "scope": "中部", "kind": "ほっとネット推進員"},
    ]
