"""The floor's notify: ``case.opened`` → the case projection (upserted), its reporter,
the notifications the routing rules ask for (the reporter's "received"; an urgent case's
area coordinators too), rendered from notify's templates, and a sealed
``notification.recorded`` each in the outbox."""

from __future__ import annotations

import asyncio
from typing import Any

from redis.asyncio import Redis

from bench.floor.bus import add_outbox, consume, relay
from bench.floor.db import Db, Lanes
from services.notify.adapters.orm import case_reporters, cases, messaging, notifications
from services.notify.adapters.repository import TAKEN_UP
from services.notify.domain.routing import case_opened_notices
from services.notify.handlers.context import NOTIFY_ACTOR
from shared.clock import as_utc
from shared.events import CaseOpened, Envelope, NotificationRecorded, new_event_id


class Notify:
    def __init__(self, lanes: Lanes, redis: Redis, keys: Any, reference: Any, clock: Any, templates: Any) -> None:
        self.lanes, self.redis, self.keys, self.reference, self.clock = lanes, redis, keys, reference, clock
        self.templates = templates
        self.areas = tuple(sorted(a.id for a in reference.areas))
        self.signal = asyncio.Event()

    async def on_opened(self, db: Db, envelopes: list[Envelope]) -> None:
        now = self.clock.now()
        run = [(e, e.payload_as(CaseOpened)) for e in envelopes]
        among, ids = db.among([p.case_id for _e, p in run])
        taken_up, statuses = db.among(list(TAKEN_UP))
        known = await db.fetch(
            f"SELECT case_id, area FROM cases WHERE case_id {among} UNION ALL SELECT DISTINCT case_id, NULL"
            f" FROM referrals WHERE case_id {among} AND status {taken_up}",
            *ids,
            *ids,
            *statuses,
        )
        areas = {r[0]: r[1] for r in known}
        assigned = await db.fetch(
            f"SELECT case_id, coordinator_id FROM cases WHERE case_id {among} AND coordinator_id IS NOT NULL", *ids
        )
        assignee = dict(assigned)
        opened, rows, events = [], [], []
        for envelope, p in run:
            area = areas.get(p.case_id) or p.area
            opened.append(
                {
                    "case_id": p.case_id,
                    "case_number": p.case_number,
                    "area": area,
                    "urgency": p.urgency,
                    "opened_at": as_utc(envelope.occurred_at),
                }
            )
            for notice in case_opened_notices(area, p.urgency, [p.reporter_id], self.areas):
                role, scope = notice.recipient.role, notice.recipient.scope
                rendered = self.templates.render(notice.kind, role, {"area": area, "case_number": p.case_number})
                row = {
                    "id": new_event_id(),
                    "recipient_role": role,
                    "recipient_scope": scope,
                    "recipient_person": assignee.get(p.case_id) if role == "coordinator" else None,
                    "kind": notice.kind,
                    "title": rendered.title,
                    "body": rendered.body,
                    "case_id": p.case_id,
                    "referral_id": None,
                    "about_event_id": envelope.event_id,
                    "created_at": now,
                }
                rows.append(row)
                recorded = NotificationRecorded(
                    notification_id=row["id"],
                    recipient_role=role,
                    recipient_scope=scope,
                    kind=notice.kind,
                    case_id=p.case_id,
                    referral_id=None,
                    about_event_id=envelope.event_id,
                )
                events.append(
                    Envelope.wrap(
                        recorded,
                        aggregate_id=row["id"],
                        actor=NOTIFY_ACTOR,
                        correlation_id=envelope.correlation_id,
                        causation_id=envelope.event_id,
                        case_id=p.case_id,
                        occurred_at=now,
                    )
                )
        await db.insert(
            cases,
            opened,
            "ON CONFLICT (case_id) DO UPDATE SET case_number = excluded.case_number, area = excluded.area,"
            " urgency = excluded.urgency, opened_at = excluded.opened_at",
        )
        await db.insert(
            case_reporters,
            [{"case_id": p.case_id, "reporter_id": p.reporter_id} for _e, p in run],
            "ON CONFLICT DO NOTHING",
        )
        inserted = {r[0] for r in await db.insert(notifications, rows, "ON CONFLICT DO NOTHING RETURNING id")}
        await add_outbox(db, messaging, self.keys, [e for e in events if e.aggregate_id in inserted], now)

    async def tasks(self) -> list:
        db, lock = await self.lanes.get("consumer")
        handlers = {"case.opened": self.on_opened}
        return [
            consume(
                db,
                self.redis,
                messaging,
                self.keys,
                "tsunagi.case",
                "notify",
                handlers,
                self.clock,
                lock,
                self.signal,
                0.1,
            ),
            relay(*await self.lanes.get("relay"), self.redis, self.signal, self.clock),
        ]
