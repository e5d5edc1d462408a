"""The supervisor's case audit over the real services, on SQLite and PostgreSQL: a long
timeline is shown a page at a time (a 3,000-entry case was read and rendered whole), and
whether the chain holds is still the answer over every entry — a break on another page
is named on the first."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text

from tests.support.console_pages import Desk, running_desk
from tests.support.timelines import append, chain_of, triggers_off


@pytest.fixture
async def desk(make_settings: Any, database_backend: str) -> AsyncIterator[Desk]:
    async with running_desk(make_settings()) as running:
        yield running


def rows(page: str) -> list[int]:
    """The entry numbers of the timeline table on an audit page."""
    table = page.split('id="timeline-heading"', 1)[1].split("</table>", 1)[0]
    return [int(n) for n in re.findall(r"<tr><td>(\d+)</td>", table)]


async def test_a_long_timeline_is_audited_a_page_at_a_time(desk: Desk) -> None:
    case = await desk.new_case()
    engine = desk.case.app.state.services.runtime.engine  # type: ignore[attr-defined]
    await append(engine, chain_of(desk.settings), case["id"], 130, per_commit=50)
    async with engine.connect() as db:
        total = int(
            (await db.execute(text("SELECT count(*) FROM timeline WHERE case_id = :c"), {"c": case["id"]})).scalar_one()
        )
    assert total > 130
    me = await desk.browse("sv-1")

    first = await me.get(f"/audit/{case['id']}")
    assert first.status_code == 200, first.text
    assert f"経過(全{total}件)" in first.text
    assert rows(first.text) == list(range(1, 101))
    assert "検証済: 経過" in first.text and f"{total}件のハッシュチェーンを検証しました" in first.text
    assert "封印は書き出しに記録されます" in first.text  # this page's seal is not the timeline's
    assert 'aria-label="経過のページ"' in first.text and f'href="/audit/{case["id"]}?page=2"' in first.text

    second = await me.get(f"/audit/{case['id']}", params={"page": 2})
    assert rows(second.text) == list(range(101, total + 1))
    beyond = await me.get(f"/audit/{case['id']}", params={"page": 0})
    assert beyond.status_code == 400

    # An entry on the second page rewritten behind the service's back: the first page says so.
    async with triggers_off(engine) as db:
        await db.execute(
            text("UPDATE timeline SET actor_id = 'someone-else' WHERE case_id = :c AND seq = 120"), {"c": case["id"]}
        )
    tampered = await me.get(f"/audit/{case['id']}")
    assert "ハッシュチェーンが壊れています" in tampered.text and "検証済" not in tampered.text
    assert "120番目" in tampered.text
