"""The console's tokens across the system, as separate processes on real Redis: a token
for a signed-in session works on every service; once the person signs out, or their
account is disabled, every service refuses it (learned from ``session.ended`` and
``account.disabled`` through the console's outbox), well within a minute."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import select

from services.console.adapters.orm import messaging, sessions
from services.console.domain.accounts import Grant
from services.console.handlers.accounts import AccountCommand, add_account, set_disabled
from shared.clock import Clock, utcnow
from shared.db.engine import make_engine
from shared.db.uow import UnitOfWork
from shared.events import Actor
from shared.identity import issue_console_token
from shared.reference import load_reference_data
from shared.settings import Settings
from shared.signing import load_signing_key
from tests.support.system import running_system

PASSWORD = "e2e-session-password"
READS = {"intake": "/v1/consultations", "case": "/v1/cases", "referral": "/v1/referrals", "notify": "/v1/notifications"}


def _console_db(settings: Settings, work):
    async def run():
        engine = make_engine(settings, "console", pool_size=1)
        try:
            return await work(lambda: UnitOfWork(engine, messaging, Clock()))
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _command(unit_of_work) -> AccountCommand:
    return AccountCommand(unit_of_work(), Actor(role="system", id="e2e"), "e2e", timedelta(minutes=5))


def _sign_in(console: httpx.Client) -> str:
    form = console.get("/signin")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    signed = console.post("/signin", data={"account_id": "csw-chubu-1", "password": PASSWORD, "csrf_token": token})
    assert signed.status_code == 303, signed.text
    queue = console.get("/queue", follow_redirects=True)
    assert queue.status_code == 200
    return re.search(r'name="csrf_token" value="([^"]+)"', queue.text).group(1)  # type: ignore[union-attr]


def _latest_session(settings: Settings) -> str:
    async def read(unit_of_work):
        async with unit_of_work() as uow:
            rows = await uow.db.execute(select(sessions.c.id).order_by(sessions.c.created_at.desc()).limit(1))
            return rows.scalar_one()

    return str(_console_db(settings, read))


def _refused_everywhere(system, token: str, timeout: float = 30.0) -> float:
    started = time.monotonic()
    waiting = dict(READS)
    while waiting and time.monotonic() - started < timeout:
        for service, path in list(waiting.items()):
            answer = httpx.get(system.url(service) + path, headers={"authorization": f"Bearer {token}"})
            if answer.status_code == 401:
                waiting.pop(service)
        time.sleep(0.2)
    assert not waiting, f"still accepted by {sorted(waiting)} after {timeout}s"
    return time.monotonic() - started


def test_signing_out_and_disabling_are_refused_everywhere(tmp_path: Path, redis_url: str) -> None:
    with running_system(tmp_path, redis_url=redis_url, extra_env={"TSUNAGI_ACCESS_REFRESH_S": "1"}) as system:
        settings = system.settings
        reference = load_reference_data(settings.reference_dir)

        async def create(unit_of_work):
            await add_account(
                _command(unit_of_work),
                reference,
                account_id="csw-chubu-1",
                display_name="サンプル",
                password=PASSWORD,
                grants=[Grant("coordinator", "中部")],
                must_change_password=False,
            )

        _console_db(settings, create)
        key = load_signing_key(settings)

        def token_for(session_id: str) -> str:
            return issue_console_token(
                key,
                subject="csw-chubu-1",
                role="coordinator",
                scope="中部",
                session_id=session_id,
                now=utcnow(),
                ttl=timedelta(minutes=5),
            )

        with httpx.Client(base_url=system.url("console")) as console:
            csrf = _sign_in(console)
            token = token_for(_latest_session(settings))
            for service, path in READS.items():
                answer = httpx.get(system.url(service) + path, headers={"authorization": f"Bearer {token}"})
                assert answer.status_code == 200, (service, answer.text)
            assert console.post("/signout", data={"csrf_token": csrf}).status_code == 303
            signed_out_after = _refused_everywhere(system, token)

            _sign_in(console)
            second = token_for(_latest_session(settings))
            assert (
                httpx.get(system.url("case") + "/v1/cases", headers={"authorization": f"Bearer {second}"}).status_code
                == 200
            )

            async def disable(unit_of_work):
                await set_disabled(_command(unit_of_work), "csw-chubu-1", True)

            _console_db(settings, disable)
            disabled_after = _refused_everywhere(system, second)
            assert console.get("/queue").status_code == 303  # the console ends the session too
        print(f"refused everywhere {signed_out_after:.1f} s after sign-out, {disabled_after:.1f} s after disabling")
        assert signed_out_after < 60 and disabled_after < 60
