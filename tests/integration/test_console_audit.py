"""The supervisor's case audit over the real services, on SQLite and PostgreSQL: a long
timeline is shown a page at a time (a 3,000-entry case was read and rendered whole), and
whether the chain holds is still the answer over every entry — a break on another page
is named on the first. The read log too, newest first, with its own pages; the export
keeps every read, oldest first."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from services.case.adapters.reads import ReadLog
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


def readers(page: str) -> list[int]:
    """The numbers of the auditors in the read log's table on an audit page, top to bottom."""
    table = page.split('id="reads-heading"', 1)[1].split("</table>", 1)[0]
    return [int(n) for n in re.findall(r"auditor-(\d+)", table)]


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


async def test_the_read_log_is_audited_newest_first_a_page_at_a_time(desk: Desk) -> None:
    case = await desk.new_case()
    engine = desk.case.app.state.services.runtime.engine  # type: ignore[attr-defined]
    await append(engine, chain_of(desk.settings), case["id"], 130, per_commit=50)
    later = datetime(2030, 1, 1, tzinfo=UTC)  # after every read the pages themselves record
    async with engine.begin() as db:
        await ReadLog(db).record_many(
            [
                dict(
                    case_id=case["id"],
                    reader_role="supervisor",
                    reader_id=f"auditor-{n}",
                    what="detail",
                    read_at=later + timedelta(minutes=n),
                )
                for n in range(120)
            ]
        )
    me = await desk.browse("sv-1")
    audit = f"/audit/{case['id']}"

    first = await me.get(audit)
    assert first.status_code == 200, first.text
    assert readers(first.text) == list(range(119, 69, -1))
    shown = re.search(r"閲覧の記録\((\d+)件\)", first.text)
    assert shown and int(shown.group(1)) > 120
    assert "新しい順に50件ずつ表示しています" in first.text
    assert 'aria-label="閲覧の記録のページ"' in first.text
    assert f'href="{audit}?reads_page=2#reads-heading"' in first.text
    assert f'href="{audit}?page=2"' in first.text  # the timeline's pager, reads on their first page

    # Each pager keeps the other list's page.
    second = await me.get(audit, params={"page": 2, "reads_page": 2})
    assert readers(second.text) == list(range(69, 19, -1))
    assert rows(second.text)[0] == 101
    assert f'href="{audit}?reads_page=2&amp;page=1"' in second.text
    assert f'href="{audit}?page=2&amp;reads_page=3#reads-heading"' in second.text
    assert (await me.get(audit, params={"reads_page": 0})).status_code == 400

    # The disclosure bundle is whole and oldest first.
    exported = json.loads((await me.get(f"{audit}/export.json")).content)
    reads = exported["reads"]["items"]
    assert exported["reads"]["total"] == len(reads)  # the page and its count from one snapshot
    assert {f"auditor-{n}" for n in range(120)} <= {r["reader_id"] for r in reads}
    assert [r["read_at"] for r in reads] == sorted(r["read_at"] for r in reads)
    assert [r["reader_id"] for r in reads[-2:]] == ["auditor-118", "auditor-119"]
