"""The queue in SQL (services/case/adapters/queue.py) on both databases: the order (most
urgent first, then the longest waiting, then the id), the views and their counts in one
statement, each filter, the age boundaries in whole days, and pages."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from services.case.adapters.orm import referrals
from services.case.adapters.queue import QueueFilter, QueueRepository, sort_key
from services.case.adapters.repository import CaseRepository
from shared.db.engine import make_engine
from shared.db.migrate import migrate
from shared.errors import InvalidInput
from shared.http.paging import decode_cursor, encode_cursor

NOW = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)
OPEN = ("受付", "対応中", "つなぎ中", "見守り")
COLUMNS = ("id", "priority", "coordinator_id", "opened_at")

# id, area, priority, categories, coordinator, days waited, status, school district
ROWS = [
    ("c01", "中部", "通常", ["孤立"], None, 10, "受付", "SD01"),
    ("c02", "中部", "緊急", ["虐待"], None, 0, "受付", "SD01"),
    ("c03", "中部", "高", ["8050", "ひきこもり"], "me", 3, "対応中", "SD02"),
    ("c04", "中部", "通常", ["孤立"], "me", 30, "見守り", "SD02"),
    ("c05", "中部", "高", ["生活困窮"], "other", 3, "対応中", "SD01"),
    ("c06", "西部", "緊急", ["虐待"], None, 1, "受付", "SD10"),
    ("c07", "中部", "通常", ["孤立"], None, 50, "終結", "SD01"),
    ("c08", "市全域", "通常", [], None, 2, "受付", "不明"),
]


@pytest.fixture
async def queue_db(make_settings, database_backend):
    settings = make_settings()
    await migrate(settings, "case")
    engine = make_engine(settings, "case")
    async with engine.begin() as db:
        rows = []
        for case_id, area, priority, categories, coordinator, days, status, district in ROWS:
            opened = NOW - timedelta(days=days, minutes=5)
            rows.append(
                {
                    "id": case_id,
                    "case_number": f"K-{case_id}",
                    "area": area,
                    "school_district": district,
                    "status": status,
                    "stage": "受付済",
                    "priority": priority,
                    "categories": categories,
                    "coordinator_id": coordinator,
                    "consent": "未確認",
                    "person": {},
                    "channel": "電話",
                    "opened_at": opened,
                    "updated_at": opened,
                    "merged_into": None,
                    "version": 1,
                }
            )
        # Through the repository: it writes the rows the queue reads beside the cases.
        await CaseRepository(db).add_many(rows)
        await db.execute(
            insert(referrals)
            .values(id="r1", case_id="c05", agency_id="hc-3", shared_fields=[], status="declined", needs_attention=True)
            .values(updated_at=NOW)
        )
    yield engine
    await engine.dispose()


def chubu(**changes: object) -> QueueFilter:
    wanted: dict[str, object] = {"areas": frozenset({"中部", "市全域"}), "statuses": OPEN}
    return QueueFilter(**(wanted | changes))  # type: ignore[arg-type]


async def rows_of(engine, wanted: QueueFilter, view: str = "all", offset: int = 0, limit: int = 50, after=None):
    async with engine.connect() as db:
        return await QueueRepository(db).page(wanted, view, "me", NOW, COLUMNS, offset, limit, after)


async def ids(engine, wanted: QueueFilter, view: str = "all", offset: int = 0, limit: int = 50) -> list[str]:
    return [r["id"] for r in await rows_of(engine, wanted, view, offset, limit)]


async def test_order_views_and_counts(queue_db) -> None:
    assert await ids(queue_db, chubu()) == ["c02", "c03", "c05", "c04", "c01", "c08"]
    assert await ids(queue_db, chubu(), "unassigned") == ["c02", "c01", "c08"]
    assert await ids(queue_db, chubu(), "mine") == ["c03", "c04"]
    async with queue_db.connect() as db:
        counts = await QueueRepository(db).counts(chubu(), "me", NOW)
    assert counts == {"unassigned": 3, "mine": 2, "all": 6, "urgent": 1, "needs_attention": 1}
    # Pages follow the same order.
    assert await ids(queue_db, chubu(), offset=2, limit=2) == ["c05", "c04"]
    assert await ids(queue_db, chubu(), offset=6) == []


async def test_filters(queue_db) -> None:
    assert await ids(queue_db, chubu(categories=("孤立", "ひきこもり"))) == ["c03", "c04", "c01"]
    assert await ids(queue_db, chubu(priorities=("高",))) == ["c03", "c05"]
    assert await ids(queue_db, chubu(school_districts=("SD02",))) == ["c03", "c04"]
    assert await ids(queue_db, chubu(needs_attention=True)) == ["c05"]
    assert "c05" not in await ids(queue_db, chubu(needs_attention=False))
    assert await ids(queue_db, chubu(statuses=("終結",))) == ["c07"]
    assert await ids(queue_db, QueueFilter(areas=None, statuses=OPEN, priorities=("緊急",))) == ["c06", "c02"]
    assert await ids(queue_db, QueueFilter(areas=frozenset(), statuses=OPEN)) == []


async def test_age_is_counted_in_whole_days(queue_db) -> None:
    # c03 and c05 have waited 3 days and 5 minutes: 3 days old, not 4.
    assert await ids(queue_db, chubu(min_age_days=3, max_age_days=3)) == ["c03", "c05"]
    assert await ids(queue_db, chubu(min_age_days=4, max_age_days=9)) == []
    assert await ids(queue_db, chubu(min_age_days=10, max_age_days=10)) == ["c01"]
    assert await ids(queue_db, chubu(min_age_days=30)) == ["c04"]
    assert await ids(queue_db, chubu(max_age_days=0)) == ["c02"]


async def test_pages_read_by_cursor_follow_the_same_order(queue_db) -> None:
    walked, after = [], None
    while True:
        rows = await rows_of(queue_db, chubu(), limit=2, after=after)
        walked += [r["id"] for r in rows]
        if len(rows) < 2:
            break
        after = decode_cursor(encode_cursor(sort_key(rows[-1])))
    assert walked == await ids(queue_db, chubu())
    for bad in ((0, "yesterday", "c01"), (0, "2026-12-03T00:00:00", "c01"), ("0", NOW.isoformat(), "c01"), (1,)):
        with pytest.raises(InvalidInput):
            await rows_of(queue_db, chubu(), after=bad)


EVERY = (*OPEN, "終結")


async def counted(engine, wanted: QueueFilter, me: str = "me") -> tuple[dict[str, int], dict[str, int]]:
    """The counts as the queue reads them, and counted from every case (a filter on the
    district's whole list, which the kept counts cannot answer)."""
    async with engine.connect() as db:
        repo = QueueRepository(db)
        quick = await repo.counts(wanted, me, NOW)
        every_district = ("SD01", "SD02", "SD10", "不明")
        slow = await repo.counts(replace(wanted, school_districts=every_district), me, NOW)
    return quick, slow


async def test_closed_cases_counted_from_kept_counts_match_every_case(queue_db) -> None:
    quick, slow = await counted(queue_db, chubu(statuses=EVERY))
    assert quick == slow == {"unassigned": 4, "mine": 2, "all": 7, "urgent": 1, "needs_attention": 1}
    # Closing, assigning, reassigning, triaging, reopening and merging move the kept counts
    # with the case, in its transaction.
    moves = [
        ("c01", {"status": "終結"}),
        ("c07", {"coordinator_id": "me"}),
        ("c01", {"priority": "緊急"}),
        ("c05", {"status": "終結"}),
        ("c01", {"coordinator_id": "other"}),
        ("c07", {"status": "対応中"}),
        ("c05", {"merged_into": "c03"}),
        ("c06", {"status": "終結", "area": "中部"}),
    ]
    for case_id, changes in moves:
        async with queue_db.begin() as db:
            repo = CaseRepository(db)
            case = await repo.get(case_id)
            await repo.save(case, changes, NOW)
        for wanted in (chubu(statuses=EVERY), chubu(statuses=("終結",)), QueueFilter(areas=None, statuses=EVERY)):
            for priorities in ((), ("緊急",), ("高", "通常")):
                for me in ("me", "other"):
                    quick, slow = await counted(
                        queue_db, QueueFilter(**(wanted.__dict__ | {"priorities": priorities})), me
                    )
                    assert quick == slow, (case_id, changes, wanted, priorities, me)
    quick, _ = await counted(queue_db, chubu(statuses=("終結",)))
    assert quick == {"unassigned": 1, "mine": 0, "all": 2, "urgent": 2, "needs_attention": 0}
    assert await ids(queue_db, chubu(statuses=("終結",))) == ["c01", "c06"]


async def test_categories_follow_the_case(queue_db) -> None:
    async with queue_db.begin() as db:
        repo = CaseRepository(db)
        await repo.save(await repo.get("c01"), {"categories": ["虐待", "孤立", "虐待"]}, NOW)
        await repo.save(await repo.get("c04"), {"categories": ["生活困窮"]}, NOW)
    assert await ids(queue_db, chubu(categories=("孤立",))) == ["c01"]
    assert await ids(queue_db, chubu(categories=("虐待",))) == ["c02", "c01"]
    assert await ids(queue_db, chubu(categories=("生活困窮",))) == ["c05", "c04"]
    async with queue_db.connect() as db:
        counts = await QueueRepository(db).counts(chubu(categories=("虐待", "孤立")), "me", NOW)
    assert counts == {"unassigned": 2, "mine": 0, "all": 2, "urgent": 1, "needs_attention": 0}
