"""Reads and writes of cases, their consultations, households, link offers and merges."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.case.adapters.orm import case_consultations, cases, household_members, link_offers, merges
from services.case.adapters.queue_tables import (
    COUNTED_BY,
    case_categories,
    category_rows,
    closed_deltas,
    move_closed_counts,
    replace_categories,
)
from services.case.domain.matching import LOOKUP_KEYS
from services.case.domain.status import CLOSED
from shared.db.sql import insert_rows
from shared.errors import StaleVersion

# The hot path's reads, built once (a statement built per call is re-keyed by SQLAlchemy
# on every execution); empty lists are fine for expanding parameters.
_OPEN_CANDIDATES = (
    select(
        cases.c.id.label("case_id"),
        case_consultations.c.school_district,
        case_consultations.c.person,
        case_consultations.c.household,
    )
    .select_from(cases.join(case_consultations, case_consultations.c.case_id == cases.c.id))
    .where(
        or_(*(case_consultations.c[column].in_(bindparam(column, expanding=True)) for column in LOOKUP_KEYS)),
        cases.c.status != CLOSED,
        cases.c.merged_into.is_(None),
    )
    .order_by(cases.c.opened_at, cases.c.id, case_consultations.c.received_at)
)
# Built once: a fresh alias builds all its columns again, on every case page.
_OFFER_SOURCE, _OFFER_CANDIDATE = cases.alias("source"), cases.alias("candidate")
_NUMBERS_TAKEN = select(cases.c.case_number).where(cases.c.case_number.in_(bindparam("numbers", expanding=True)))


class CaseRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self.db = db

    # Cases ----------------------------------------------------------------------------
    async def add_many(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            await insert_rows(self.db, cases, rows)
            categories = [c for r in rows for c in category_rows(r["id"], r["categories"])]
            await insert_rows(self.db, case_categories, categories)
            await move_closed_counts(self.db, closed_deltas([], rows))

    async def case_numbers_taken(self, numbers: list[str]) -> set[str]:
        return set((await self.db.execute(_NUMBERS_TAKEN, {"numbers": numbers})).scalars())

    async def get(self, case_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
        query = select(cases).where(cases.c.id == case_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.db.execute(query)).mappings().first()
        return dict(row) if row else None

    async def numbers_and_areas(self, case_ids: list[str]) -> dict[str, tuple[str, str]]:
        rows = await self.db.execute(
            select(cases.c.id, cases.c.case_number, cases.c.area).where(cases.c.id.in_(case_ids))
        )
        return {r.id: (r.case_number, r.area) for r in rows}

    async def save(self, case: dict[str, Any], changes: dict[str, Any], now: datetime) -> int:
        """Conditional update on the version the caller read; a concurrent change → 409."""
        result = await self.db.execute(
            update(cases)
            .where(cases.c.id == case["id"], cases.c.version == case["version"])
            .values(**changes, updated_at=now, version=case["version"] + 1)
        )
        if result.rowcount != 1:
            current = await self.db.execute(select(cases.c.version).where(cases.c.id == case["id"]))
            raise StaleVersion(
                "このケースは他の操作で更新されました。最新の内容を読み直してください。",
                current_version=current.scalar_one_or_none(),
            )
        if any(c in changes for c in COUNTED_BY):
            await move_closed_counts(self.db, closed_deltas([case], [case | changes]))
        if "categories" in changes:
            await replace_categories(self.db, case["id"], changes["categories"])
        case.update(changes, updated_at=now, version=case["version"] + 1)
        return case["version"]

    async def open_candidates(self, keys: Iterable[dict[str, str | None]]) -> list[dict[str, Any]]:
        """The consultations of open, unmerged cases sharing a match key with any of
        ``keys`` (``match_keys`` of the new consultations), oldest case first (each case
        is compared through every report it holds). Index lookups: the cost does not
        grow with the number of open cases."""
        wanted = {column: sorted({value for k in keys if (value := k[column])}) for column in LOOKUP_KEYS}
        if not any(wanted.values()):
            return []
        rows = await self.db.execute(_OPEN_CANDIDATES, wanted)
        return [dict(r) for r in rows.mappings().all()]

    async def listing(
        self,
        areas: Iterable[str] | None,
        statuses: Iterable[str] | None,
        include_merged: bool = False,
        school_districts: Iterable[str] = (),
        columns: Iterable[str] | None = None,
    ) -> list[dict[str, Any]]:
        """``columns``: only these (a queue does not need each person's details)."""
        query = select(*(cases.c[c] for c in columns)) if columns else select(cases)
        if areas is not None:
            query = query.where(cases.c.area.in_(list(areas)))
        if school_districts:
            query = query.where(cases.c.school_district.in_(list(school_districts)))
        if statuses:
            query = query.where(cases.c.status.in_(list(statuses)))
        if not include_merged:
            query = query.where(cases.c.merged_into.is_(None))
        return [dict(r) for r in (await self.db.execute(query)).mappings().all()]

    async def merged_children(self, case_id: str) -> list[str]:
        rows = await self.db.execute(select(cases.c.id).where(cases.c.merged_into == case_id))
        return [r[0] for r in rows]

    # Consultations and household --------------------------------------------------------
    async def add_consultations(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            await insert_rows(self.db, case_consultations, rows)

    async def consultations_of(self, case_ids: list[str]) -> list[dict[str, Any]]:
        rows = await self.db.execute(
            select(case_consultations)
            .where(case_consultations.c.case_id.in_(case_ids))
            .order_by(case_consultations.c.received_at)
        )
        return [dict(r) for r in rows.mappings().all()]

    async def add_member(self, row: dict[str, Any]) -> None:
        await self.add_members([row])

    async def add_members(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            await insert_rows(self.db, household_members, rows)

    async def members_of(self, case_ids: list[str]) -> list[dict[str, Any]]:
        rows = await self.db.execute(
            select(household_members)
            .where(household_members.c.case_id.in_(case_ids))
            .order_by(household_members.c.added_at, household_members.c.id)
        )
        return [dict(r) for r in rows.mappings().all()]

    async def households_of(self, case_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = {c: [] for c in case_ids}
        for member in await self.members_of(case_ids):
            found[member["case_id"]].append(member)
        return found

    # Link offers and merges -------------------------------------------------------------
    async def add_offers(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            await insert_rows(self.db, link_offers, rows)

    async def offers_about(self, case_ids: list[str]) -> list[dict[str, Any]]:
        # With both cases' numbers: the page names the other case as staff say it.
        source, candidate = _OFFER_SOURCE, _OFFER_CANDIDATE
        rows = await self.db.execute(
            select(
                link_offers,
                source.c.case_number.label("case_number"),
                candidate.c.case_number.label("candidate_case_number"),
            )
            .select_from(
                link_offers.join(source, source.c.id == link_offers.c.case_id).join(
                    candidate, candidate.c.id == link_offers.c.candidate_case_id
                )
            )
            .where(or_(link_offers.c.case_id.in_(case_ids), link_offers.c.candidate_case_id.in_(case_ids)))
            .order_by(link_offers.c.created_at)
        )
        return [dict(r) for r in rows.mappings().all()]

    async def get_offer(self, offer_id: str) -> dict[str, Any] | None:
        row = (await self.db.execute(select(link_offers).where(link_offers.c.id == offer_id))).mappings().first()
        return dict(row) if row else None

    async def set_offer_status(
        self, case_id: str, candidate_case_id: str | None, status: str, offer_id: str | None = None
    ) -> None:
        query = update(link_offers).where(link_offers.c.case_id == case_id)
        if candidate_case_id is not None:
            query = query.where(link_offers.c.candidate_case_id == candidate_case_id)
        if offer_id is not None:
            query = query.where(link_offers.c.id == offer_id)
        await self.db.execute(query.values(status=status))

    async def add_merge(self, row: dict[str, Any]) -> None:
        await self.db.execute(insert(merges), row)

    async def active_merge_of(self, source_case_id: str) -> dict[str, Any] | None:
        row = (
            (
                await self.db.execute(
                    select(merges).where(merges.c.source_case_id == source_case_id, merges.c.undone_at.is_(None))
                )
            )
            .mappings()
            .first()
        )
        return dict(row) if row else None

    async def undo_merge(self, merge_id: str, by: str, at: datetime) -> None:
        await self.db.execute(update(merges).where(merges.c.id == merge_id).values(undone_by=by, undone_at=at))

    async def count_cases(self) -> int:
        return int((await self.db.execute(select(func.count()).select_from(cases))).scalar_one())
