"""The console's conference pages over HTTP (no browser), on SQLite and PostgreSQL, with the
case service in the same process: an account no one told the case service about is
refused next to the participants field, naming it; participants are shown by the names
the console holds; a form sent on a version someone else moved past is shown again with
what changed meanwhile and what was typed (the case page's treatment), and goes through
once sent again; a share about one household member is chosen on the form and shown as
such."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from html import unescape
from typing import Any

import httpx
import pytest
from case_helpers import case_of, consultation, coordinator, known_account, submit

from services.console.domain.accounts import Grant
from services.console.handlers.accounts import AccountCommand, add_account
from shared.clock import FrozenClock
from shared.events import Actor
from shared.reference import load_reference_data
from shared.settings import PROJECT_ROOT
from tests.integration.notify.notify_support import jst
from tests.support.services import running_service

REFERENCE = load_reference_data(PROJECT_ROOT / "reference")
PASSWORD = "conference-pass-1"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
NAMES = {"csw-chubu-1": "サンプル 中部一郎", "csw-seibu-1": "サンプル 西部花子"}


@pytest.fixture
async def system(make_settings: Any, database_backend: str) -> AsyncIterator[dict[str, Any]]:
    """Intake, case and the console on one clock; the console reaches the case service in process."""
    settings = make_settings()
    clock = FrozenClock(jst(2026, 12, 3, 10, 0))
    async with (
        running_service("intake", settings, clock) as intake,
        running_service("case", settings, clock) as case,
        running_service("console", settings, clock) as console,
    ):
        services = console.app.state.services  # type: ignore[attr-defined]
        await services.backend.clients["case"].aclose()
        services.backend.clients["case"] = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=case.app),  # type: ignore[attr-defined]
            base_url="http://case.test",
        )
        for account_id, area in (("csw-chubu-1", "中部"), ("csw-seibu-1", "西部")):
            await add_account(
                AccountCommand(
                    services.runtime.unit_of_work(), Actor(role="system", id="test"), "c", timedelta(minutes=5)
                ),
                REFERENCE,
                account_id=account_id,
                display_name=NAMES[account_id],
                password=PASSWORD,
                grants=[Grant("coordinator", area)],
                must_change_password=False,
            )
        # The console's relay tells the case service (its account.* events).
        await known_account(case, clock, "csw-seibu-1")
        yield {"settings": settings, "clock": clock, "intake": intake, "case": case, "console": console}


async def _sign_in(console: httpx.AsyncClient, account_id: str) -> None:
    token = CSRF.search((await console.get("/signin")).text).group(1)  # type: ignore[union-attr]
    answer = await console.post("/signin", data={"account_id": account_id, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 303, answer.text


def _form_state(page: str, action: str) -> dict[str, str]:
    """The hidden fields of the page's form posting to ``action``."""
    form = page.split(f'action="{action}"', 1)[1].split("</form>", 1)[0]
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))


async def test_the_conference_pages_check_participants_name_them_and_say_what_changed(system: dict[str, Any]) -> None:
    settings, case, console = system["settings"], system["case"], system["console"]
    chubu = coordinator(settings)
    opened = await case_of(case, settings, await submit(system["intake"], settings, consultation()), chubu)
    await _sign_in(console, "csw-chubu-1")
    token = CSRF.search((await console.get(f"/conferences?case_id={opened['id']}")).text).group(1)  # type: ignore[union-attr]
    plan = {
        "csrf_token": token,
        "case_id": opened["id"],
        "kind": "ケース会議",
        "title": "サンプル: 中部 ケース会議",
        "held_on": "2026-12-03",
    }

    # An account the case service does not know: next to the field, named; what was typed stays.
    refused = await console.post("/conferences", data={**plan, "accounts": "csw-nobody"})
    assert refused.status_code == 422
    error = unescape(refused.text.split('id="f-accounts-error"', 1)[1].split("</p>", 1)[0])
    assert "「csw-nobody」" in error and "登録されていません" in error
    assert 'value="サンプル: 中部 ケース会議"' in refused.text

    planned = await console.post("/conferences", data={**plan, "accounts": "csw-seibu-1"})
    assert planned.status_code == 303, planned.text
    path = planned.headers["location"].split("?")[0]
    page = (await console.get(path)).text
    who = page.split('id="who-heading"', 1)[1].split("</section>", 1)[0]
    assert NAMES["csw-chubu-1"] in who and NAMES["csw-seibu-1"] in who and "csw-seibu-1" not in who

    # Someone else holds the meeting while the page still shows it planned.
    held_form = _form_state(page, f"{path}/held")
    assert held_form["version"] == "1" and held_form["seen_status_label"] == "予定"
    api = f"/v1{path}"
    assert (await case.post(f"{api}/held", headers=chubu, json={"version": 1})).status_code == 200
    stale = await console.post(f"{path}/held", data={**held_form, "held_on": "2026-12-03"})
    assert stale.status_code == 409
    assert "他の人がこの会議を先に更新しました" in stale.text
    assert "状態が「予定」から「開催済」に変わりました" in stale.text

    # The minutes typed while someone else shared a field: kept, said, then sent again.
    minutes_form = _form_state(stale.text, f"{path}/minutes")
    assert minutes_form["version"] == "2" and minutes_form["seen_status_label"] == "開催済"
    share = {"case_id": opened["id"], "fields": ["categories"], "version": 2}
    assert (await case.post(f"{api}/shares", headers=chubu, json=share)).status_code == 200
    typed = {f"decision_{opened['id']}": "サンプル: 来週もう一度訪ねる"}
    stale = await console.post(f"{path}/minutes", data={**minutes_form, **typed})
    assert stale.status_code == 409
    assert "この会議に記録が追加されました" in stale.text and "サンプル: 来週もう一度訪ねる" in stale.text
    again = _form_state(stale.text, f"{path}/minutes")
    assert again["version"] == "3"
    done = await console.post(f"{path}/minutes", data={**again, **typed})
    assert done.status_code == 303, done.text
    minutes = (await case.get(api, headers=chubu)).json()
    assert minutes["cases"][0]["decision"] == "サンプル: 来週もう一度訪ねる"

    # A share about the son: his own consent (none recorded: the case's 未確認) decides.
    page = (await console.get(path)).text
    share_form = _form_state(page, f"{path}/shares")
    son = next(m["id"] for m in opened["household"] if m["relation"] == "長男")
    assert f'<option value="{son}"' in page and "の長男(50代)" in page
    about_son = {**share_form, "share_case_id": opened["id"], "share_member_id": son}
    refused = await console.post(f"{path}/shares", data={**about_son, "fields": "person_name"})
    assert refused.status_code == 422 and 'id="f-fields-error"' in refused.text
    assert f'<option value="{son}" selected' in refused.text
    shared = await console.post(f"{path}/shares", data={**about_son, "fields": "age_group"})
    assert shared.status_code == 303, shared.text
    disclosures = (await console.get(path)).text.split('id="shares"', 1)[1].split("</table>", 1)[0]
    assert "世帯員(長男)" in disclosures and "未確認" in disclosures
