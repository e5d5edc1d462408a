"""Migration d8a4c1e6f2b7 keeps the check-ins notify already chased: one missed check-in
per timer whose ``followup.fired`` is on a timeline (its later rungs and a referral's
follow-ups are not counted), by when it was due."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from services.case.adapters.orm import watch_missed
from shared.db.engine import make_engine
from shared.db.migrate import upgrade
from shared.events import Actor, Envelope, FollowupFired
from tests.support.timelines import chain_of, new_case_id

BEFORE_ACTIVITIES = "b6d1f0c3a8e2"
DUE = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # 24:00 JST


def _fired(case_id: str, followup_id: str, rung: int, *, plan_id: str | None, referral_id: str | None = None):
    payload = FollowupFired(
        followup_id=followup_id,
        referral_id=referral_id,
        case_id=case_id,
        step="checkin" if plan_id else "acknowledge",
        recipient_role="coordinator",
        recipient_scope="中部",
        overdue_since=DUE.isoformat(),
        rung=rung,
        plan_id=plan_id,
    )
    envelope = Envelope.wrap(
        payload, aggregate_id=followup_id, actor=Actor(role="system", id="tsunagi"), correlation_id="c", case_id=case_id
    )
    return envelope, case_id


@pytest.mark.empty_database
async def test_the_migration_counts_each_fired_check_in_timer_once(make_settings, database_backend) -> None:
    settings = make_settings()
    engine = make_engine(settings, "case")
    try:
        await upgrade(engine, "case", BEFORE_ACTIVITIES, settings=settings)
        case_id, timer, other_timer, plan = new_case_id(), new_case_id(), new_case_id(), new_case_id()
        entries = [
            _fired(case_id, timer, 1, plan_id=plan),
            _fired(case_id, timer, 2, plan_id=plan),  # the same missed check-in, escalated
            _fired(case_id, other_timer, 1, plan_id=plan),
            _fired(case_id, new_case_id(), 1, plan_id=None, referral_id=new_case_id()),  # a referral's
        ]
        async with engine.begin() as db:
            await chain_of(settings).append(db, entries, datetime.now(UTC))
        await upgrade(engine, "case", "head", settings=settings)
        async with engine.connect() as db:
            rows = (await db.execute(select(watch_missed).order_by(watch_missed.c.followup_id))).mappings().all()
        assert sorted(r["followup_id"] for r in rows) == sorted([timer, other_timer])
        assert {(r["plan_id"], r["case_id"]) for r in rows} == {(plan, case_id)}
        assert all(r["due_at"].replace(tzinfo=UTC) == DUE for r in rows)
    finally:
        await engine.dispose()
