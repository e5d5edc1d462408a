"""The console's second factor through its pages, on SQLite and PostgreSQL: enrolment
(QR code, key, confirmation, ten recovery codes shown once), the second sign-in step
with a code pyotp computes at the console's clock, wrong and replayed codes, recovery
codes spent once, the lockout shared with passwords, the roles that must enrol, and an
administrator's reset."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pyotp
import pytest
from sqlalchemy import select
from structlog.testing import capture_logs

from services.console.adapters.orm import accounts, recovery_codes
from services.console.domain.accounts import Grant
from services.console.handlers.accounts import AccountCommand, add_account
from shared.clock import FrozenClock
from shared.events import Actor
from shared.reference import load_reference_data
from shared.settings import PROJECT_ROOT
from tests.support.services import running_service

REFERENCE = load_reference_data(PROJECT_ROOT / "reference")
PASSWORD = "second-factor-pass-1"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
START = datetime(2026, 12, 3, 1, 0, 5, tzinfo=UTC)


@pytest.fixture
async def console(make_settings: Any, database_backend: str) -> AsyncIterator[httpx.AsyncClient]:
    clock = FrozenClock(START)
    settings = make_settings(console_lockout_attempts=3)
    async with running_service("console", settings, clock) as client:
        client.clock = clock  # type: ignore[attr-defined]
        runtime = client.app.state.services.runtime  # type: ignore[attr-defined]
        for account_id, grant in (
            ("admin-1", Grant("account_admin", "city")),
            ("admin-2", Grant("account_admin", "city")),
            ("sv-1", Grant("supervisor", "city")),
            ("csw-chubu-1", Grant("coordinator", "中部")),
        ):
            await add_account(
                AccountCommand(runtime.unit_of_work(), Actor(role="system", id="test"), "c", timedelta(minutes=5)),
                REFERENCE,
                account_id=account_id,
                display_name="サンプル",
                password=PASSWORD,
                grants=[grant],
                must_change_password=False,
            )
        yield client


def _clock(client: httpx.AsyncClient) -> FrozenClock:
    return client.clock  # type: ignore[attr-defined,no-any-return]


async def _password_step(client: httpx.AsyncClient, account_id: str) -> str:
    """Signs in with the password; returns where the console sends the person."""
    client.cookies.clear()
    form = await client.get("/signin")
    token = CSRF.search(form.text).group(1)  # type: ignore[union-attr]
    answer = await client.post("/signin", data={"account_id": account_id, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 303, answer.text
    home = (await client.get("/")).headers["location"]
    return str((await client.get(home)).headers.get("location", home))


async def _csrf(client: httpx.AsyncClient, path: str) -> str:
    return CSRF.search((await client.get(path)).text).group(1)  # type: ignore[union-attr]


async def _enrol(client: httpx.AsyncClient) -> tuple[str, list[str]]:
    """Enrols the signed-in person; returns the key and the recovery codes."""
    page = await client.get("/two-factor")
    assert page.status_code == 200
    assert "<svg" in page.text and "<script" not in page.text.split("<main", 1)[1]
    secret = re.search(r'class="mono secret-key">([A-Z2-7 ]+)<', page.text).group(1).replace(" ", "")  # type: ignore[union-attr]
    code = pyotp.TOTP(secret).at(_clock(client).now())
    done = await client.post("/two-factor", data={"code": code, "csrf_token": await _csrf(client, "/two-factor")})
    assert done.status_code == 200, done.text
    codes = re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", done.text)
    return secret, codes


async def _second_step(client: httpx.AsyncClient, code: str) -> httpx.Response:
    return await client.post("/signin/code", data={"code": code, "csrf_token": await _csrf(client, "/signin/code")})


async def test_an_administrator_enrols_then_signs_in_with_a_code(console: httpx.AsyncClient) -> None:
    assert await _password_step(console, "admin-1") == "/two-factor"
    # Until enrolled, every page leads back to the enrolment.
    assert (await console.get("/admin/accounts")).headers["location"] == "/two-factor"
    token = await _csrf(console, "/two-factor")
    wrong = await console.post("/two-factor", data={"code": "000000", "csrf_token": token})
    assert wrong.status_code == 422 and "コードが正しくありません" in wrong.text
    secret, codes = await _enrol(console)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert (await console.get("/admin/accounts")).status_code == 200

    async with console.app.state.services.runtime.unit_of_work() as uow:  # type: ignore[attr-defined]
        row = (await uow.db.execute(select(accounts).where(accounts.c.id == "admin-1"))).mappings().one()
        hashes = (await uow.db.execute(select(recovery_codes.c.code_hash))).scalars().all()
    assert secret not in row["totp_secret"]  # stored encrypted
    assert len(hashes) == 10 and all(h.startswith("$argon2id$") for h in hashes)
    assert not any(c.replace("-", "") in h for c in codes for h in hashes)

    _clock(console).advance(timedelta(minutes=5))
    assert await _password_step(console, "admin-1") == "/signin/code"
    assert (await console.get("/admin/accounts")).headers["location"] == "/signin/code"
    assert (await _second_step(console, "123456")).status_code == 401
    code = pyotp.TOTP(secret).at(_clock(console).now())
    assert (await _second_step(console, code)).headers["location"] == "/"
    assert (await console.get("/admin/accounts")).status_code == 200

    # The same code is refused a second time, even on a fresh sign-in.
    assert await _password_step(console, "admin-1") == "/signin/code"
    assert (await _second_step(console, code)).status_code == 401
    next_code = pyotp.TOTP(secret).at(_clock(console).now() + timedelta(seconds=30))
    assert (await _second_step(console, next_code)).status_code == 303


async def test_a_recovery_code_works_once(console: httpx.AsyncClient) -> None:
    await _password_step(console, "admin-1")
    _secret, codes = await _enrol(console)
    assert await _password_step(console, "admin-1") == "/signin/code"
    assert (await _second_step(console, codes[3].upper())).status_code == 303
    assert (await console.get("/admin/accounts")).status_code == 200
    assert "残り9個" in (await console.get("/two-factor")).text
    await _password_step(console, "admin-1")
    again = await _second_step(console, codes[3])
    assert again.status_code == 401 and "未使用のリカバリーコード" in again.text
    assert (await _second_step(console, codes[4].replace("-", ""))).status_code == 303


async def test_wrong_codes_lock_the_account_like_wrong_passwords(console: httpx.AsyncClient) -> None:
    await _password_step(console, "admin-1")
    secret, _codes = await _enrol(console)
    await _password_step(console, "admin-1")
    for _ in range(2):
        assert (await _second_step(console, "111111")).status_code == 401
    locked = await _second_step(console, "222222")
    assert locked.headers["location"] == "/signin?ended=locked"
    # The waiting session is over, and the password alone is locked out too.
    assert (await console.get("/signin/code")).headers["location"].startswith("/signin")
    form = await console.get("/signin")
    token = CSRF.search(form.text).group(1)  # type: ignore[union-attr]
    answer = await console.post("/signin", data={"account_id": "admin-1", "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 429
    _clock(console).advance(timedelta(minutes=16))
    assert await _password_step(console, "admin-1") == "/signin/code"
    assert (await _second_step(console, pyotp.TOTP(secret).at(_clock(console).now()))).status_code == 303


async def test_supervisors_must_enrol_coordinators_need_not(console: httpx.AsyncClient) -> None:
    assert await _password_step(console, "sv-1") == "/two-factor"
    assert (await console.get("/dashboard")).headers["location"] == "/two-factor"
    assert (await console.get("/audit")).headers["location"] == "/two-factor"
    assert await _password_step(console, "csw-chubu-1") not in ("/two-factor", "/signin/code")


async def test_coordinators_must_enrol_when_the_settings_say_so(make_settings: Any, database_backend: str) -> None:
    settings = make_settings(console_second_factor_roles="coordinator")
    async with running_service("console", settings, FrozenClock(START)) as client:
        runtime = client.app.state.services.runtime  # type: ignore[attr-defined]
        await add_account(
            AccountCommand(runtime.unit_of_work(), Actor(role="system", id="test"), "c", timedelta(minutes=5)),
            REFERENCE,
            account_id="csw-chubu-1",
            display_name="サンプル",
            password=PASSWORD,
            grants=[Grant("coordinator", "中部")],
            must_change_password=False,
        )
        assert await _password_step(client, "csw-chubu-1") == "/two-factor"


async def test_an_administrator_resets_a_second_factor_and_it_is_logged(console: httpx.AsyncClient) -> None:
    await _password_step(console, "sv-1")
    await _enrol(console)
    await _password_step(console, "admin-2")
    _admin_secret, _ = await _enrol(console)
    page = await console.get("/admin/accounts/sv-1")
    assert "設定済み" in page.text and "2段階認証を解除する" in page.text
    with capture_logs() as logs:
        reset = await console.post(
            "/admin/accounts/sv-1/reset-second-factor", data={"csrf_token": await _csrf(console, "/admin/accounts")}
        )
    assert reset.headers["location"] == "/admin/accounts/sv-1?notice=second_factor_reset"
    assert any(e["event"] == "second_factor_reset" and e["by"] == "admin-2" for e in logs)
    assert "未設定" in (await console.get("/admin/accounts/sv-1")).text
    # Not one's own (another administrator must do it).
    own = await console.post(
        "/admin/accounts/admin-2/reset-second-factor", data={"csrf_token": await _csrf(console, "/admin/accounts")}
    )
    assert own.status_code == 422 and "別の管理者" in own.text
    assert await _password_step(console, "sv-1") == "/two-factor"
