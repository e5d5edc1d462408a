"""Retention's SQL in the case database: the closed cases past the period, and erasing
the personal fields of a case and the cases merged into it. Columns that may be NULL
become NULL; required text becomes ``ERASED``; JSON becomes empty."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.case.adapters.append_only import erasure
from services.case.adapters.conference_tables import conference_cases, conference_tasks, conferences
from services.case.adapters.orm import (
    activities,
    approvals,
    case_consultations,
    cases,
    contacts,
    helper_task_checkins,
    helper_tasks,
    household_members,
    notes,
    referrals,
    timeline,
    unmet_needs,
    watch_checkins,
    watch_plans,
)
from services.case.domain.retention import ERASED, erased_summary
from services.case.domain.status import CLOSED

# What is erased of a case, per table: the personal columns and what they become.
PERSONAL: dict[Table, dict[str, Any]] = {
    cases: {"person": {}, "legal_ground": None},
    case_consultations: {
        "person": {},
        "household": {},
        "noticed": ERASED,
        "legal_ground": None,
        "name_key": None,
        "place_key": None,
        "household_key": None,
        "kana_key": None,
    },
    household_members: {"name": None, "note": None, "name_key": None, "language": None},
    contacts: {"whom": ERASED, "outcome": ERASED},
    notes: {"body": ERASED},
    referrals: {"purpose": None, "decline_reason": None},
    watch_plans: {"look_for": ERASED},
    watch_checkins: {"note": None},
    helper_tasks: {"instructions": ERASED, "reason": None, "note": None},
    helper_task_checkins: {"note": None},
    approvals: {"reason": ERASED, "decision_reason": None, "params": {}},
    unmet_needs: {"missing": ERASED},
    conference_cases: {"decision": None},
    conference_tasks: {"title": ERASED},
    activities: {"note": None},
}
# A meeting's title is the coordinator's words about every case it discussed, none of
# which it can be told apart from: it goes with the first of them that is erased (a
# meeting about one case, as the console plans them, with that case). The meeting itself
# stays, named by its kind and day, for the cases still kept.
MEETING_TITLE: dict[str, Any] = {"title": ERASED}
ERASED_FIELDS = sorted(
    [f"{t.name}.{c}" for t, columns in PERSONAL.items() for c in columns]
    + [f"{conferences.name}.{c}" for c in MEETING_TITLE]
) + ["timeline.summary"]


async def due(db: AsyncConnection, closed_before: datetime) -> list[dict[str, Any]]:
    """Closed cases (not merged into another) closed before ``closed_before``, not yet erased."""
    rows = await db.execute(
        select(cases.c.id, cases.c.case_number, cases.c.closed_at)
        .where(
            cases.c.status == CLOSED,
            cases.c.closed_at < closed_before,
            cases.c.erased_at.is_(None),
            cases.c.merged_into.is_(None),
        )
        .order_by(cases.c.closed_at, cases.c.id)
    )
    return [dict(r) for r in rows.mappings()]


async def aggregates_of(db: AsyncConnection, case_ids: list[str]) -> list[str]:
    """The consultations, referrals and activities of ``case_ids``: their events carry the
    cases' personal fields under their own ids."""
    consultations = select(case_consultations.c.consultation_id).where(case_consultations.c.case_id.in_(case_ids))
    referred = select(referrals.c.id).where(referrals.c.case_id.in_(case_ids))
    logged = select(activities.c.id).where(activities.c.case_id.in_(case_ids))
    found = [*(await db.execute(consultations)).scalars(), *(await db.execute(referred)).scalars()]
    return sorted({*found, *(await db.execute(logged)).scalars()})


async def erase(db: AsyncConnection, case_ids: list[str], now: datetime, *, reason: str) -> int:
    """Erase the personal fields of ``case_ids`` in ``db``'s open transaction; the
    timeline entries' summaries through the one append-only exception. Returns how many
    timeline entries were erased."""
    for table, values in PERSONAL.items():
        key = table.c.id if table is cases else table.c.case_id
        await db.execute(update(table).where(key.in_(case_ids)).values(**values))
    discussed = select(conference_cases.c.conference_id).where(conference_cases.c.case_id.in_(case_ids))
    await db.execute(update(conferences).where(conferences.c.id.in_(discussed)).values(**MEETING_TITLE))
    await db.execute(update(cases).where(cases.c.id.in_(case_ids)).values(erased_at=now))
    rows = (
        await db.execute(
            select(timeline.c.event_id, timeline.c.summary).where(
                timeline.c.case_id.in_(case_ids), timeline.c.erased_at.is_(None)
            )
        )
    ).all()
    async with erasure(db, reason=reason, case_ids=case_ids):
        for row in rows:
            await db.execute(
                update(timeline)
                .where(timeline.c.event_id == row.event_id)
                .values(summary=erased_summary(row.summary), erased_at=now)
            )
    return len(rows)
