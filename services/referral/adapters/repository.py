"""Reads and writes of referral's tables, inside a unit of work."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, insert, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.referral.adapters.orm import case_facts, referral_reads, referral_transitions, referrals
from services.referral.domain.lifecycle import Status
from services.referral.domain.referral import Referral, Transition
from shared.clock import as_utc
from shared.events import Actor
from shared.events.case import ERASED_TEXT

_TIMES = (
    "requested_at",
    "received_at",
    "updated_at",
    "acknowledge_by",
    "decide_by",
    "acknowledged_at",
    "decided_at",
    "closed_at",
)
_FIELDS = (
    "id",
    "case_id",
    "case_number",
    "area",
    "agency_id",
    "purpose",
    "urgency",
    "consent",
    "legal_ground",
    "shared",
    "withheld",
    "status",
    "version",
    *_TIMES,
    "reason",
    "note",
    "requested_by",
)
# What a move changes. Nothing else is written by a move, so a move racing a consent
# withdrawal can never write the withdrawn fields back.
_MOVE_FIELDS = ("status", "version", "updated_at", "acknowledged_at", "decided_at", "closed_at", "reason", "note")


def _to_referral(row: Any) -> Referral:
    values = {name: getattr(row, name) for name in _FIELDS}
    for name in _TIMES:
        if values[name] is not None:
            values[name] = as_utc(values[name])
    values["status"] = Status(values["status"])
    values["withheld"] = tuple(values["withheld"] or ())
    values["shared"] = dict(values["shared"] or {})
    return Referral(**values)


def _row_values(referral: Referral) -> dict[str, Any]:
    values = {name: getattr(referral, name) for name in _FIELDS}
    values["status"] = referral.status.value
    values["withheld"] = list(referral.withheld)
    values["shared"] = dict(referral.shared)
    return values


@dataclass(frozen=True)
class ReferralFilter:
    agency_id: str | None = None
    area: str | None = None
    statuses: Sequence[str] | None = None  # None: any status; []: none
    case_id: str | None = None
    overdue_at: datetime | None = None  # only those past their next deadline at this time
    by_deadline: bool = False  # the most pressing first (next deadline), instead of newest first
    limit: int = 50
    offset: int = 0


def _next_deadline():
    """What the agency must do next, by when (as ``Referral.next_deadline``), in SQL."""
    return case(
        (referrals.c.status == Status.RECEIVED.value, referrals.c.acknowledge_by),
        (referrals.c.status == Status.ACKNOWLEDGED.value, referrals.c.decide_by),
        else_=None,
    )


class ReferralRepository:
    def __init__(self, db: AsyncConnection) -> None:
        self.db = db

    async def get(self, referral_id: str) -> Referral | None:
        row = (await self.db.execute(select(referrals).where(referrals.c.id == referral_id))).first()
        return _to_referral(row) if row else None

    async def exists(self, referral_id: str) -> bool:
        found = await self.db.execute(select(referrals.c.id).where(referrals.c.id == referral_id))
        return found.first() is not None

    async def add(self, referral: Referral, *, request_event_id: str) -> None:
        await self.db.execute(insert(referrals), {**_row_values(referral), "request_event_id": request_event_id})

    async def save(self, referral: Referral, *, expected_version: int) -> bool:
        """Conditional update: False when someone else moved the referral first."""
        values = {name: value for name, value in _row_values(referral).items() if name in _MOVE_FIELDS}
        result = await self.db.execute(
            update(referrals)
            .where(referrals.c.id == referral.id, referrals.c.version == expected_version)
            .values(**values)
        )
        return result.rowcount == 1

    async def narrow_sharing(self, referral: Referral) -> None:
        await self.db.execute(
            update(referrals)
            .where(referrals.c.id == referral.id)
            .values(
                shared=dict(referral.shared),
                withheld=list(referral.withheld),
                consent=referral.consent,
                legal_ground=referral.legal_ground,
                updated_at=referral.updated_at,
            )
        )

    async def of_case(self, case_id: str) -> list[Referral]:
        rows = await self.db.execute(select(referrals).where(referrals.c.case_id == case_id).order_by(referrals.c.id))
        return [_to_referral(r) for r in rows.all()]

    async def erase_personal(self, case_ids: list[str], shared_of: Callable[[Referral], Referral]) -> int:
        """Retention: the referrals of ``case_ids`` keep no personal field, purpose,
        legal ground, reason or note (nor do their transitions); ``shared_of`` narrows
        what the agency was shown."""
        rows = await self.db.execute(select(referrals).where(referrals.c.case_id.in_(case_ids)))
        found = [_to_referral(r) for r in rows.all()]
        for referral in found:
            narrowed = shared_of(referral)
            await self.db.execute(
                update(referrals)
                .where(referrals.c.id == referral.id)
                .values(
                    shared=dict(narrowed.shared),
                    withheld=list(narrowed.withheld),
                    purpose=ERASED_TEXT,
                    legal_ground=None,
                    reason=None,
                    note=None,
                )
            )
        if found:
            await self.db.execute(
                update(referral_transitions)
                .where(referral_transitions.c.referral_id.in_([r.id for r in found]))
                .values(reason=None, note=None)
            )
        return len(found)

    async def move_case(self, case_id: str, area: str) -> int:
        result = await self.db.execute(
            update(referrals).where(referrals.c.case_id == case_id, referrals.c.area != area).values(area=area)
        )
        return result.rowcount

    async def case_facts(self, case_id: str) -> Any:
        return (await self.db.execute(select(case_facts).where(case_facts.c.case_id == case_id))).first()

    async def set_case_facts(self, case_id: str, *, exists: bool, **values: Any) -> None:
        if exists:
            await self.db.execute(update(case_facts).where(case_facts.c.case_id == case_id).values(**values))
        else:
            await self.db.execute(insert(case_facts), {"case_id": case_id, **values})

    async def add_transition(self, referral_id: str, transition: Transition, actor: Actor, event_id: str) -> None:
        await self.db.execute(
            insert(referral_transitions),
            dict(
                referral_id=referral_id,
                version=transition.version,
                action=transition.action.value,
                from_status=transition.from_status.value,
                to_status=transition.to_status.value,
                actor_role=actor.role,
                actor_id=actor.id,
                reason=transition.reason,
                note=transition.note,
                at=transition.at,
                event_id=event_id,
            ),
        )

    async def history(self, referral_id: str) -> list[Any]:
        rows = await self.db.execute(
            select(referral_transitions)
            .where(referral_transitions.c.referral_id == referral_id)
            .order_by(referral_transitions.c.version)
        )
        return list(rows.all())

    async def record_read(self, referral_id: str, actor: Actor, fields: Sequence[str], at: datetime) -> None:
        await self.db.execute(
            insert(referral_reads),
            dict(referral_id=referral_id, reader_role=actor.role, reader_id=actor.id, fields=list(fields), read_at=at),
        )

    async def reads_of(
        self, *, case_id: str | None, agency_id: str | None, area: str | None, offset: int, limit: int
    ) -> tuple[list[Any], int]:
        """One page of the reads of a case's (or an agency's) referrals — of one area's
        referrals when ``area`` is given — with the agency each was addressed to, and how
        many there are in all."""
        joined = referral_reads.join(referrals, referrals.c.id == referral_reads.c.referral_id)
        query = _of(
            select(referral_reads, referrals.c.agency_id, referrals.c.area).select_from(joined),
            case_id,
            agency_id,
            area,
        )
        total = await self.db.scalar(_of(select(func.count()).select_from(joined), case_id, agency_id, area))
        rows = await self.db.execute(query.order_by(referral_reads.c.id).offset(offset).limit(limit))
        return list(rows.all()), int(total or 0)

    async def share_decisions(self, *, case_id: str | None, agency_id: str | None, area: str | None) -> list[Any]:
        """What each referral shared, on which ground, and what it held back (names only)."""
        query = select(
            referrals.c.id,
            referrals.c.case_id,
            referrals.c.agency_id,
            referrals.c.area,
            referrals.c.consent,
            referrals.c.legal_ground,
            referrals.c.shared,
            referrals.c.withheld,
            referrals.c.requested_by,
            referrals.c.requested_at,
        )
        return list(
            (await self.db.execute(_of(query, case_id, agency_id, area).order_by(referrals.c.requested_at))).all()
        )

    async def reads(self, referral_id: str) -> list[Any]:
        rows = await self.db.execute(
            select(referral_reads).where(referral_reads.c.referral_id == referral_id).order_by(referral_reads.c.id)
        )
        return list(rows.all())

    async def find(self, criteria: ReferralFilter) -> tuple[list[Referral], int]:
        conditions = []
        if criteria.agency_id is not None:
            conditions.append(referrals.c.agency_id == criteria.agency_id)
        if criteria.area is not None:
            conditions.append(referrals.c.area == criteria.area)
        if criteria.statuses is not None:
            conditions.append(referrals.c.status.in_(list(criteria.statuses)))
        if criteria.case_id is not None:
            conditions.append(referrals.c.case_id == criteria.case_id)
        if criteria.overdue_at is not None:
            now = criteria.overdue_at
            conditions.append(
                or_(
                    and_(referrals.c.status == Status.RECEIVED.value, referrals.c.acknowledge_by < now),
                    and_(referrals.c.status == Status.ACKNOWLEDGED.value, referrals.c.decide_by < now),
                )
            )
        where = and_(*conditions) if conditions else true()
        total = (await self.db.execute(select(func.count()).select_from(referrals).where(where))).scalar_one()
        newest_first = (referrals.c.received_at.desc(), referrals.c.id.desc())
        order = (_next_deadline().asc().nulls_last(), *newest_first) if criteria.by_deadline else newest_first
        rows = await self.db.execute(
            select(referrals).where(where).order_by(*order).limit(criteria.limit).offset(criteria.offset)
        )
        return [_to_referral(r) for r in rows.all()], int(total)


def _of(query: Any, case_id: str | None, agency_id: str | None, area: str | None = None) -> Any:
    if area is not None:
        query = query.where(referrals.c.area == area)
    if case_id is not None:
        query = query.where(referrals.c.case_id == case_id)
    if agency_id is not None:
        query = query.where(referrals.c.agency_id == agency_id)
    return query
