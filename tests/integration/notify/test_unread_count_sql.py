"""The unread count (the inbox less what the reader has read) on both databases: the
same number as the inbox's unread entries, for each reader, role and scope, whatever
they have read and whoever the cases are assigned to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from services.notify.adapters.orm import cases, notification_reads, notifications
from services.notify.adapters.repository import NotificationRepository
from shared.db.engine import make_engine
from shared.db.migrate import migrate

NOW = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)
# id, role, scope, person, case
NOTICES = [
    ("n01", "coordinator", "中部", None, "k1"),  # k1: unassigned
    ("n02", "coordinator", "中部", None, "k2"),  # k2: assigned to me
    ("n03", "coordinator", "中部", None, "k3"),  # k3: assigned to someone else
    ("n04", "coordinator", "中部", "me", "k3"),
    ("n05", "coordinator", "中部", "other", "k2"),
    ("n06", "coordinator", "中部", None, None),  # about no case
    ("n07", "coordinator", "西部", None, "k1"),
    ("n08", "supervisor", "city", None, "k3"),
    ("n09", "coordinator", "中部", None, "k4"),  # k4: not known to notify
]
READS = [("n01", "me"), ("n04", "me"), ("n02", "other"), ("n08", "sv"), ("n07", "me")]


@pytest.fixture
async def notify_db(make_settings, database_backend):
    settings = make_settings()
    await migrate(settings, "notify")
    engine = make_engine(settings, "notify")
    async with engine.begin() as db:
        for case_id, coordinator in (("k1", None), ("k2", "me"), ("k3", "other")):
            await db.execute(insert(cases).values(case_id=case_id, area="中部", coordinator_id=coordinator))
        for i, (nid, role, scope, person, case_id) in enumerate(NOTICES):
            await db.execute(
                insert(notifications).values(
                    id=nid,
                    recipient_role=role,
                    recipient_scope=scope,
                    recipient_person=person,
                    kind="urgent_case",
                    title="t",
                    body="b",
                    case_id=case_id,
                    about_event_id=f"e{nid}",
                    created_at=NOW - timedelta(minutes=i),
                )
            )
        for nid, reader in READS:
            await db.execute(insert(notification_reads).values(notification_id=nid, reader=reader, read_at=NOW))
    yield engine
    await engine.dispose()


@pytest.mark.parametrize(
    ("role", "scopes", "reader", "expected"),
    [
        ("coordinator", ["中部"], "me", 3),  # n02, n06, n09 (n01, n04 read; n03 and n05 another's)
        ("coordinator", ["中部"], "other", 5),  # n01, n03, n05, n06, n09 (n02 read; n04 mine's)
        ("coordinator", ["中部", "西部"], "me", 3),  # n07 read
        ("coordinator", ["西部"], "nobody", 1),
        ("supervisor", ["city"], "sv", 0),
        ("supervisor", ["city"], "sv-2", 1),
        ("agency", ["hc-3"], "staff", 0),
    ],
)
async def test_unread_count_is_the_inbox_unread(notify_db, role, scopes, reader, expected) -> None:
    async with notify_db.connect() as db:
        repo = NotificationRepository(db)
        _, unread_in_inbox = await repo.inbox(role, scopes, reader, unread_only=True, offset=0, limit=100)
        assert await repo.unread_count(role, scopes, reader) == unread_in_inbox == expected
