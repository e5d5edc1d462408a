"""Reads and writes of notify's projections and notifications, inside a unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    Select,
    and_,
    bindparam,
    false,
    func,
    insert,
    null,
    or_,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from services.notify.adapters.orm import (
    case_reporters,
    cases,
    deliveries,
    delivery_attempts,
    notification_reads,
    notifications,
    referrals,
)
from shared.db.sql import count_of, insert_if_absent, insert_missing, insert_new, upsert
from shared.events.case import ERASED_TEXT

TAKEN_UP = ("accepted", "in_progress", "on_hold", "completed")


_IDS: BindParameter[str] = bindparam("ids", expanding=True)
# The known cases (with their areas) and the cases taken up, in one round trip.
_KNOWN = union_all(
    select(cases.c.case_id, cases.c.area, false().label("taken_up")).where(cases.c.case_id.in_(_IDS)),
    select(referrals.c.case_id, null(), true())
    .distinct()
    .where(referrals.c.case_id.in_(_IDS), referrals.c.status.in_(TAKEN_UP)),
)


class ProjectionRepository:
    """What notify remembers of cases and referrals, from their events."""

    def __init__(self, db: AsyncConnection) -> None:
        self.db = db

    async def upsert_case(self, case_id: str, **values: Any) -> None:
        if not await insert_if_absent(self.db, cases, {"case_id": case_id, **values}) and values:
            await self.db.execute(update(cases).where(cases.c.case_id == case_id).values(**values))

    async def case(self, case_id: str) -> Any:
        return (await self.db.execute(select(cases).where(cases.c.case_id == case_id))).first()

    async def cases_of(self, case_ids: list[str]) -> dict[str, Any]:
        """The projected cases of a batch, in one statement (an unknown case is absent)."""
        if not case_ids:
            return {}
        rows = await self.db.execute(select(cases).where(cases.c.case_id.in_(sorted(set(case_ids)))))
        return {row.case_id: row for row in rows}

    async def reporters_of(self, case_id: str) -> list[str]:
        rows: Sequence[tuple[str]] = (
            await self.db.execute(
                select(case_reporters.c.reporter_id)
                .where(case_reporters.c.case_id == case_id)
                .order_by(case_reporters.c.reporter_id)
            )
        ).all()
        return [r for (r,) in rows]

    async def assign_case(self, case_id: str, coordinator_id: str, area: str, event_id: str) -> None:
        """Record the assignment unless a later one is recorded already (events of one case
        may be applied out of order; event ids sort by time)."""
        await insert_if_absent(self.db, cases, {"case_id": case_id})  # assigned before notify saw it open
        await self.db.execute(
            update(cases)
            .where(
                cases.c.case_id == case_id,
                or_(cases.c.assignment_event_id.is_(None), cases.c.assignment_event_id < event_id),
            )
            .values(coordinator_id=coordinator_id, assigned_area=area, assignment_event_id=event_id)
        )

    async def release_case(self, case_id: str) -> None:
        await self.db.execute(update(cases).where(cases.c.case_id == case_id).values(coordinator_id=None))

    async def assignees(self, case_ids: list[str]) -> dict[str, str]:
        """The assigned coordinator of each of these cases that has one."""
        if not case_ids:
            return {}
        rows: Sequence[tuple[str, str]] = (
            await self.db.execute(
                select(cases.c.case_id, cases.c.coordinator_id).where(
                    cases.c.case_id.in_(case_ids), cases.c.coordinator_id.is_not(None)
                )
            )
        ).all()
        return dict(rows)

    async def move_case(self, case_id: str, area: str) -> None:
        await self.upsert_case(case_id, area=area)
        await self.db.execute(update(referrals).where(referrals.c.case_id == case_id).values(area=area))

    # A run of case events: one statement for all of them.

    async def known_cases(self, case_ids: list[str]) -> tuple[dict[str, str | None], set[str]]:
        """Of these cases, those notify knows (with their area, None if not known yet),
        and those an agency has accepted a referral of."""
        areas: dict[str, str | None] = {}
        taken_up: set[str] = set()
        known: Sequence[tuple[str, str | None, bool]] = (await self.db.execute(_KNOWN, {"ids": case_ids})).all()
        for case_id, area, referral in known:
            if referral:
                taken_up.add(case_id)
            else:
                areas[case_id] = area
        return areas, taken_up

    async def upsert_cases(self, rows: list[dict[str, Any]]) -> None:
        """Insert each case, or set these values on it if it is there (every row has
        case_number, area, urgency and opened_at)."""
        await upsert(self.db, cases, rows, cases.c.case_id, ("case_number", "area", "urgency", "opened_at"))

    async def add_cases(self, case_ids: list[str]) -> None:
        """Insert the cases not there yet (key only)."""
        await insert_missing(self.db, cases, [{"case_id": c} for c in case_ids])

    async def add_reporters(self, pairs: list[tuple[str, str]]) -> None:
        await insert_missing(self.db, case_reporters, [{"case_id": c, "reporter_id": r} for c, r in pairs])

    async def referral(self, referral_id: str) -> Any:
        return (await self.db.execute(select(referrals).where(referrals.c.referral_id == referral_id))).first()

    async def add_referral(self, **values: Any) -> bool:
        return await insert_if_absent(self.db, referrals, values)

    async def update_referral(self, referral_id: str, **values: Any) -> None:
        await self.db.execute(update(referrals).where(referrals.c.referral_id == referral_id).values(**values))


class NotificationRepository:
    """Inbox rows. Read state is per reader (``notification_reads``): colleagues who
    share an inbox each have their own unread."""

    def __init__(self, db: AsyncConnection) -> None:
        self.db = db

    async def add(self, row: dict[str, Any]) -> None:
        await self.db.execute(insert(notifications), row)

    async def erase_of_cases(self, case_ids: list[str]) -> int:
        """Retention: a notice's text may quote someone's words (a decline reason), a
        delivery's error anything the far end said — neither is kept for these cases."""
        about = select(notifications.c.id).where(notifications.c.case_id.in_(case_ids)).scalar_subquery()
        done = await self.db.execute(
            update(notifications).where(notifications.c.case_id.in_(case_ids)).values(body=ERASED_TEXT)
        )
        await self.db.execute(update(deliveries).where(deliveries.c.notification_id.in_(about)).values(last_error=None))
        attempts = select(deliveries.c.id).where(deliveries.c.notification_id.in_(about)).scalar_subquery()
        await self.db.execute(
            update(delivery_attempts).where(delivery_attempts.c.delivery_id.in_(attempts)).values(detail=None)
        )
        return int(done.rowcount or 0)

    async def add_new(self, rows: list[dict[str, Any]]) -> set[str]:
        """Insert the rows not recorded yet (same event, recipient and kind), in one
        statement; returns the ids of those inserted."""
        return await insert_new(self.db, notifications, rows, notifications.c.id)

    async def exists(self, about_event_id: str, role: str, scope: str, kind: str) -> bool:
        found = await self.db.execute(
            select(notifications.c.id).where(
                notifications.c.about_event_id == about_event_id,
                notifications.c.recipient_role == role,
                notifications.c.recipient_scope == scope,
                notifications.c.kind == kind,
            )
        )
        return found.first() is not None

    @staticmethod
    def _mine(role: str, scopes: list[str], reader: str) -> Any:
        """Of the caller's scope: a coordinator sees what is addressed to them, and what is
        addressed to their area about a case no one else is assigned to (yet)."""
        scope = and_(notifications.c.recipient_role == role, notifications.c.recipient_scope.in_(scopes))
        if role != "coordinator":
            return scope
        someone_else_has_it = (
            select(cases.c.case_id)
            .where(
                cases.c.case_id == notifications.c.case_id,
                cases.c.coordinator_id.is_not(None),
                cases.c.coordinator_id != reader,
            )
            .exists()
        )
        return and_(
            scope,
            or_(
                notifications.c.recipient_person == reader,
                and_(notifications.c.recipient_person.is_(None), ~someone_else_has_it),
            ),
        )

    @staticmethod
    def _with_my_read(reader: str) -> Any:
        mine = and_(notification_reads.c.notification_id == notifications.c.id, notification_reads.c.reader == reader)
        return select(notifications, notification_reads.c.read_at.label("my_read_at")).select_from(
            notifications.outerjoin(notification_reads, mine)
        )

    def _inbox(self, role: str, scopes: list[str], reader: str, *, unread_only: bool, kind: str | None) -> Select[Any]:
        query = self._with_my_read(reader).where(self._mine(role, scopes, reader))
        if unread_only:
            query = query.where(notification_reads.c.read_at.is_(None))
        if kind:
            query = query.where(notifications.c.kind == kind)
        return query

    async def inbox(
        self,
        role: str,
        scopes: list[str],
        reader: str,
        *,
        unread_only: bool,
        offset: int,
        limit: int,
        kind: str | None = None,
    ) -> tuple[list[Any], int]:
        """One page of the reader's notifications, newest first, and how many match in all."""
        query = self._inbox(role, scopes, reader, unread_only=unread_only, kind=kind)
        page = query.order_by(notifications.c.created_at.desc(), notifications.c.id.desc()).offset(offset).limit(limit)
        rows = list((await self.db.execute(page)).all())
        return rows, await count_of(self.db, query)

    async def unread_count(self, role: str, scopes: list[str], reader: str) -> int:
        """The inbox's size less what this reader has read of it: two counts the indexes
        answer (the inbox's entries; the reader's reads), not a probe per notification."""
        mine = self._mine(role, scopes, reader)
        inbox = select(func.count()).select_from(notifications).where(mine)
        of_inbox = notification_reads.join(notifications, notifications.c.id == notification_reads.c.notification_id)
        read = select(func.count()).select_from(of_inbox).where(notification_reads.c.reader == reader, mine)
        return int((await self.db.execute(select(inbox.scalar_subquery() - read.scalar_subquery()))).scalar_one())

    async def get_for(self, notification_id: str, role: str, scopes: list[str], reader: str) -> Any:
        return (
            await self.db.execute(
                self._with_my_read(reader).where(
                    notifications.c.id == notification_id, self._mine(role, scopes, reader)
                )
            )
        ).first()

    async def mark_read(self, notification_id: str, reader: str, at: datetime) -> None:
        """Only a reader's first read counts; the notification keeps its first reader."""
        await insert_if_absent(
            self.db, notification_reads, {"notification_id": notification_id, "reader": reader, "read_at": at}
        )
        await self.db.execute(
            update(notifications)
            .where(notifications.c.id == notification_id, notifications.c.read_at.is_(None))
            .values(read_at=at, read_by=reader)
        )
