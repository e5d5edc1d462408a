"""The console's pages in-process, over the real case, intake and referral services:
each runs its app with its lifespan in this event loop (real Redis, real database), and
the console's calls to them go through ASGI transports instead of sockets (notify
answers an empty inbox). People sign in through the pages, as in a browser; the cases
they work on are made over the services' APIs."""

from __future__ import annotations

import contextlib
import copy
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pyotp

from services.console.domain.accounts import Grant
from services.console.handlers.accounts import AccountCommand, add_account
from shared.events import Actor
from shared.reference import load_reference_data
from shared.settings import PROJECT_ROOT, Settings
from tests.support.services import bearer, eventually, running_service

PASSWORD = "console-pages-pass-1"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
EXAMPLE: dict[str, Any] = json.loads((PROJECT_ROOT / "examples" / "consultation.json").read_text(encoding="utf-8"))
PEOPLE = {
    "csw-chubu-1": Grant("coordinator", "中部"),
    "csw-seibu-1": Grant("coordinator", "西部"),
    "sv-1": Grant("supervisor", "city"),
}


async def _enrol(browser: httpx.AsyncClient) -> None:
    page = await browser.get("/two-factor")
    secret = re.search(r'class="mono secret-key">([A-Z2-7 ]+)<', page.text).group(1).replace(" ", "")  # type: ignore[union-attr]
    done = await browser.post("/two-factor", data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_of(page)})
    assert done.status_code == 200, done.text


def _notify(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"items": [], "total": 0, "unread_count": 0})


@dataclass
class Desk:
    """The running services; ``browse(account_id)`` is a signed-in person's browser."""

    settings: Settings
    console: httpx.AsyncClient
    intake: httpx.AsyncClient
    case: httpx.AsyncClient
    browsers: dict[str, httpx.AsyncClient] = field(default_factory=dict)

    def token(self, account_id: str) -> dict[str, str]:
        grant = PEOPLE[account_id]
        return bearer(self.settings, grant.role, grant.scope, account_id)

    async def browse(self, account_id: str) -> httpx.AsyncClient:
        if account_id not in self.browsers:
            browser = httpx.AsyncClient(transport=self.console._transport, base_url="http://console.test")
            form = await browser.get("/signin")
            token = CSRF.search(form.text).group(1)  # type: ignore[union-attr]
            data = {"account_id": account_id, "password": PASSWORD, "csrf_token": token}
            signed = await browser.post("/signin", data=data)
            assert signed.status_code == 303, signed.text
            if PEOPLE[account_id].role == "supervisor":
                await _enrol(browser)  # a supervisor always has a second factor
            self.browsers[account_id] = browser
        return self.browsers[account_id]

    async def new_case(self, account_id: str = "csw-chubu-1", **changes: Any) -> dict[str, Any]:
        """A consultation through intake, waited for as a case and taken by ``account_id``."""
        body = {**copy.deepcopy(EXAMPLE), "household": [], **changes}
        created = await self.intake.post(
            "/v1/consultations", json=body, headers=bearer(self.settings, "reporter", "vol-1")
        )
        assert created.status_code == 201, created.text
        reference = created.json()["reference"]
        sv = self.token("sv-1")

        async def found() -> dict[str, Any] | None:
            hits = await self.case.get("/v1/cases/search", params={"q": reference}, headers=sv)
            items = hits.json()["items"] if hits.status_code == 200 else []
            return items[0] if items else None

        case = await eventually(found, what=f"the case of {reference}")
        if PEOPLE[account_id].scope == case["area"]:
            assign = {"coordinator_id": account_id, "version": case["version"]}
            answer = await self.case.post(
                f"/v1/cases/{case['id']}/assignment", headers=self.token(account_id), json=assign
            )
            assert answer.status_code == 200, answer.text
        return await self.detail(case["id"])

    async def detail(self, case_id: str) -> dict[str, Any]:
        answer = await self.case.get(f"/v1/cases/{case_id}", headers=self.token("sv-1"))
        assert answer.status_code == 200, answer.text
        return answer.json()  # type: ignore[no-any-return]


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, "no csrf_token in the page"
    return found.group(1)


def case_form(case: dict[str, Any], csrf: str, **fields: Any) -> dict[str, Any]:
    """A case page form as the page sends it: the token, the version shown, what was seen."""
    seen = {f"seen_{name}": case.get(name) or "" for name in ("status", "priority", "coordinator_id", "consent")}
    return {"csrf_token": csrf, "version": str(case["version"]), **seen, **fields}


@contextlib.asynccontextmanager
async def running_desk(settings: Settings) -> AsyncIterator[Desk]:
    reference = load_reference_data(PROJECT_ROOT / "reference")
    async with running_service("console", settings) as console:
        runtime = console.app.state.services.runtime  # type: ignore[attr-defined]
        for account_id, grant in PEOPLE.items():
            await add_account(
                AccountCommand(runtime.unit_of_work(), Actor(role="system", id="test"), "c", timedelta(minutes=5)),
                reference,
                account_id=account_id,
                display_name="サンプル",
                password=PASSWORD,
                grants=[grant],
                must_change_password=False,
            )
        async with (
            running_service("intake", settings) as intake,
            running_service("case", settings) as case,
            running_service("referral", settings) as referral,
        ):
            backend = console.app.state.console.backend  # type: ignore[attr-defined]
            for name, client in (("case", case), ("referral", referral), ("intake", intake)):
                await backend.clients[name].aclose()
                backend.clients[name] = httpx.AsyncClient(transport=client._transport, base_url=f"http://{name}.test")
            await backend.clients["notify"].aclose()
            backend.clients["notify"] = httpx.AsyncClient(
                transport=httpx.MockTransport(_notify), base_url="http://notify.test"
            )
            desk = Desk(settings, console, intake, case)
            try:
                yield desk
            finally:
                for browser in desk.browsers.values():
                    await browser.aclose()
