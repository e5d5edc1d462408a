"""Issue 19, item 2, through the console as separate processes: the reporter's form
carries an Idempotency-Key made when it is shown, so sending it twice — one after the
other (a retry) or both at once (a double-click) — raises one consultation and both
answers lead to the same reference; an age group outside the reference list is refused
next to its field."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from services.console.adapters.orm import messaging
from services.console.domain.accounts import Grant
from services.console.handlers.accounts import AccountCommand, add_account
from shared.clock import Clock
from shared.db.engine import make_engine
from shared.db.uow import UnitOfWork
from shared.events import Actor
from shared.reference import load_reference_data
from tests.support.system import running_system

PASSWORD = "e2e-report-password"
REFERENCE = re.compile(r"TSN-\d{4}-[0-9A-Z]{6}")


def _hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, f"no {name} in the page"
    return found.group(1)


def _add_reporter(settings) -> None:
    async def run() -> None:
        engine = make_engine(settings, "console", pool_size=1)
        try:
            command = AccountCommand(
                UnitOfWork(engine, messaging, Clock()), Actor(role="system", id="e2e"), "e2e", timedelta(minutes=5)
            )
            await add_account(
                command,
                load_reference_data(settings.reference_dir),
                account_id="vol-7",
                display_name="サンプル",
                password=PASSWORD,
                grants=[Grant("reporter", "", "民生委員・児童委員")],
                must_change_password=False,
            )
        finally:
            await engine.dispose()

    asyncio.run(run())


def _form(console: httpx.Client) -> dict[str, str | list[str]]:
    page = console.get("/report")
    assert page.status_code == 200, page.text
    return {
        "csrf_token": _hidden(page.text, "csrf_token"),
        "idempotency_key": _hidden(page.text, "idempotency_key"),
        "rows": "2",
        "reporter_role": "民生委員・児童委員",
        "channel": "電話",
        "person.age_group": "80代",
        "school_district": "SD07",
        "categories": ["8050"],
        "noticed": "サンプル: 新聞がたまっている。",
        "urgency": "通常",
        "consent": "未確認",
    }


# As separate processes on the production database: the same rules run in-process on
# SQLite and PostgreSQL in tests/integration (test_flow keeps the e2e on SQLite).
@pytest.mark.parametrize("backend", ["postgresql"])
def test_the_report_form_raises_one_consultation_however_often_it_is_sent(
    tmp_path: Path, redis_url: str, backend: str, request: pytest.FixtureRequest
) -> None:
    database_url = request.getfixturevalue("postgres_database_url") if backend == "postgresql" else None
    with running_system(tmp_path, redis_url=redis_url, database_url=database_url) as system:
        _add_reporter(system.settings)
        with httpx.Client(base_url=system.url("console"), timeout=30) as console:
            signin = console.get("/signin")
            signed = console.post(
                "/signin",
                data={"account_id": "vol-7", "password": PASSWORD, "csrf_token": _hidden(signin.text, "csrf_token")},
            )
            assert signed.status_code == 303, signed.text

            # A retry: the same form sent again.
            form = _form(console)
            first = console.post("/report", data=form)
            again = console.post("/report", data=form)
            assert first.status_code == again.status_code == 303, first.text
            assert first.headers["location"] == again.headers["location"]

            # A double-click: both at once.
            form = _form(console)

            async def both() -> list[httpx.Response]:
                async with httpx.AsyncClient(base_url=system.url("console"), cookies=console.cookies) as client:
                    return list(await asyncio.gather(*(client.post("/report", data=form) for _ in range(2))))

            clicks = asyncio.run(both())
            assert [c.status_code for c in clicks] == [303, 303], [c.text for c in clicks]
            assert clicks[0].headers["location"] == clicks[1].headers["location"] != first.headers["location"]

            mine = console.get("/my")
            assert len(set(REFERENCE.findall(mine.text))) == 2, mine.text

            # A tampered choice is refused next to its field; the page offers a fresh key.
            odd = {**_form(console), "person.age_group": "999代"}
            refused = console.post("/report", data=odd)
            assert refused.status_code == 422
            message = re.search(r'id="f-person-age_group-error">(.*?)</p>', refused.text, re.S)
            assert message and "999代" in message.group(1), refused.text
            assert _hidden(refused.text, "idempotency_key") != odd["idempotency_key"]
            corrected = console.post(
                "/report",
                data={**odd, "person.age_group": "80代", "idempotency_key": _hidden(refused.text, "idempotency_key")},
            )
            assert corrected.status_code == 303, corrected.text
            assert len(set(REFERENCE.findall(console.get("/my").text))) == 3
