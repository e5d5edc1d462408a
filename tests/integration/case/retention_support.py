"""What retention erases of a case, service by service: a snapshot of the personal columns
each table holds for it, to compare before and after a run."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from services.case.adapters import orm as case_orm
from services.intake.adapters import orm as intake_orm
from services.notify.adapters import orm as notify_orm
from services.referral.adapters import orm as referral_orm
from shared.db.engine import make_engine
from shared.settings import Settings


async def held_rows(settings: Settings, service: str, table: Any, column: Any, case_id: str) -> list[dict[str, Any]]:
    engine = make_engine(settings, service, pool_size=1)
    try:
        async with engine.connect() as db:
            return [dict(r) for r in (await db.execute(select(table).where(column == case_id))).mappings()]
    finally:
        await engine.dispose()


# What each service holds of a case that retention erases (and, for the timeline, what
# proves it): per table, row id → those columns.
PERSONAL: list[tuple[str, Any, Any, Any, tuple[str, ...]]] = [
    ("case", case_orm.cases, case_orm.cases.c.id, "id", ("person", "legal_ground", "erased_at")),
    ("case", case_orm.case_consultations, None, "consultation_id", ("person", "household", "noticed", "name_key")),
    ("case", case_orm.contacts, None, "id", ("whom", "outcome")),
    ("case", case_orm.notes, None, "id", ("body",)),
    ("case", case_orm.referrals, None, "id", ("purpose",)),
    ("case", case_orm.watch_plans, None, "id", ("look_for",)),
    ("case", case_orm.watch_checkins, None, "id", ("note",)),
    ("case", case_orm.activities, None, "id", ("note",)),
    ("case", case_orm.timeline, None, "event_id", ("summary", "content_hash", "chain_hmac", "seq", "erased_at")),
    ("intake", intake_orm.consultations, None, "id", ("person", "household", "noticed")),
    ("referral", referral_orm.referrals, None, "id", ("purpose", "shared", "reason")),
    ("notify", notify_orm.notifications, None, "id", ("body",)),
]


async def snapshot(settings: Settings, case_id: str) -> dict[str, dict[str, dict[str, Any]]]:
    held: dict[str, dict[str, dict[str, Any]]] = {}
    for service, table, key, row_id, columns in PERSONAL:
        rows = await held_rows(settings, service, table, key if key is not None else table.c.case_id, case_id)
        held[f"{service}.{table.name}"] = {r[row_id]: {c: r[c] for c in columns} for r in rows}
    return held


def unchanged(before: dict[str, dict[str, Any]], now: dict[str, dict[str, Any]]) -> bool:
    """Every row seen before is still there as it was (the running system may add rows)."""
    return all(now[part].get(row_id) == row for part, rows in before.items() for row_id, row in rows.items())


def aggregates_of(held: dict[str, dict[str, dict[str, Any]]]) -> set[str]:
    """The case, its consultations, referrals and activities: the aggregates its events are about."""
    return {*held["case.cases"], *held["case.case_consultations"], *held["case.referrals"], *held["case.activities"]}
