"""The floor's case service: ``consultation.submitted`` → a new case (the candidates
looked up by match key, the matching rules, a free case number, the case, its
consultation, household and likely-match offers, ``case.opened`` sealed in the outbox,
the timeline entries chained by HMAC with a checkpoint per case); ``notification.recorded``
→ a timeline entry. One transaction per batch read, as Tsunagi's consumer applies it."""

from __future__ import annotations

import asyncio
from typing import Any

from redis.asyncio import Redis

from bench.floor.bus import add_outbox, consume, relay
from bench.floor.db import Db, Lanes
from services.case.adapters.orm import (
    case_consultations,
    cases,
    household_members,
    link_offers,
    messaging,
    timeline,
    timeline_checkpoints,
)
from services.case.adapters.queue_tables import case_categories, category_rows
from services.case.adapters.timeline import timeline_row
from services.case.domain.case_number import case_number
from services.case.domain.chain import GENESIS, link
from services.case.domain.matching import LOOKUP_KEYS, PersonFacts, find_matches, likely_offers, match_keys
from services.case.domain.status import CLOSED, RECEIVED
from shared.events import SYSTEM, CaseOpened, ConsultationSubmitted, Envelope, new_event_id
from shared.events.case import LinkOffered


class Case:
    def __init__(
        self, lanes: Lanes, redis: Redis, keys: Any, reference: Any, clock: Any, match: Any, chain: bytes
    ) -> None:
        self.lanes, self.redis, self.keys, self.reference, self.clock = lanes, redis, keys, reference, clock
        self.match, self.chain_key = match, chain
        self.signal = asyncio.Event()

    async def on_consultations(self, db: Db, envelopes: list[Envelope]) -> None:
        now = self.clock.now()
        batch = [(e, e.payload_as(ConsultationSubmitted)) for e in envelopes]
        facts = [
            PersonFacts.of(c.school_district, c.person.model_dump(), [m.model_dump() for m in c.household])
            for _e, c in batch
        ]
        keys = [match_keys(f, self.match) for f in facts]
        wanted = [k[column] for k in keys for column in LOOKUP_KEYS if k[column]]
        pool = []
        if wanted:
            among, values = db.among(wanted)
            found = await db.fetch(
                "SELECT cases.id, cc.school_district, cc.person, cc.household FROM cases JOIN case_consultations cc"
                f" ON cc.case_id = cases.id WHERE (cc.name_key {among} OR cc.place_key {among})"
                " AND cases.status != ? AND cases.merged_into IS NULL"
                " ORDER BY cases.opened_at, cases.id, cc.received_at",
                *values,
                *values,
                CLOSED,
            )
            pool = [(r[0], PersonFacts.of(r[1], _json(r[2]), _json(r[3]))) for r in found]
        ids = [new_event_id() for _ in batch]
        among, numbers = db.among([case_number(i, now) for i in ids])
        if await db.fetch(f"SELECT case_number FROM cases WHERE case_number {among}", *numbers):
            raise RuntimeError("a case number clash: the floor does not retry (one in a billion)")
        rows: dict[Any, list] = {
            cases: [], case_categories: [], case_consultations: [], household_members: [], link_offers: []
        }  # fmt: skip
        events, entries = [], []
        for (envelope, c), fact, key, case_id in zip(batch, facts, keys, ids, strict=True):
            area = self.reference.area_of_district(c.school_district)
            person = c.person.model_dump(mode="json")
            number = case_number(case_id, now)
            rows[cases].append(
                {
                    "id": case_id, "case_number": number, "area": area, "school_district": c.school_district,
                    "status": RECEIVED, "stage": "受付済", "priority": c.urgency, "categories": list(c.categories),
                    "coordinator_id": None, "consent": c.consent, "legal_ground": c.legal_ground, "person": person,
                    "channel": c.channel, "sample": c.sample, "opened_at": now, "updated_at": now,
                    "merged_into": None, "version": 1,
                }
            )  # fmt: skip
            rows[case_categories].extend(category_rows(case_id, c.categories))
            rows[case_consultations].append(
                {
                    "consultation_id": c.consultation_id, "case_id": case_id, "reference": c.reference,
                    "reporter_id": c.reporter_id, "reporter_role": c.reporter_role, "channel": c.channel,
                    "school_district": c.school_district, "categories": c.categories, "urgency": c.urgency,
                    "consent": c.consent, "legal_ground": c.legal_ground, "person": person,
                    "household": [m.model_dump(mode="json") for m in c.household], "noticed": c.noticed,
                    "how": "opened", "received_at": now, **key,
                }
            )  # fmt: skip
            rows[household_members].extend(
                {
                    "id": new_event_id(), "case_id": case_id, "relation": m.relation, "age_group": m.age_group,
                    "name": m.name, "note": m.note, "source": c.consultation_id, "added_at": now,
                    "name_key": self.match.name(m.name),
                }
                for m in c.household
            )  # fmt: skip
            caused = [
                CaseOpened(
                    case_id=case_id, case_number=number, area=area, consultation_id=c.consultation_id,
                    reference=c.reference, reporter_id=c.reporter_id, urgency=c.urgency, categories=list(c.categories),
                )
            ]  # fmt: skip
            for match in likely_offers(find_matches(fact, pool)):
                offer_id = new_event_id()
                rows[link_offers].append(
                    {
                        "id": offer_id, "case_id": case_id, "candidate_case_id": match.case_id,
                        "reasons": list(match.reasons), "status": "offered", "created_at": now,
                    }
                )  # fmt: skip
                caused.append(
                    LinkOffered(
                        case_id=case_id, offer_id=offer_id, candidate_case_id=match.case_id, reasons=list(match.reasons)
                    )
                )
            pool.append((case_id, fact))
            published = [
                envelope.caused(p, aggregate_id=case_id, actor=SYSTEM, case_id=case_id, occurred_at=now) for p in caused
            ]
            events.extend(published)
            entries.extend((e, case_id) for e in [envelope, *published])
        for table, table_rows in rows.items():
            await db.insert(table, table_rows)
        await self.append(db, entries, now)
        await add_outbox(db, messaging, self.keys, events, now)

    async def on_notifications(self, db: Db, envelopes: list[Envelope]) -> None:
        await self.append(db, [(e, e.case_id) for e in envelopes if e.case_id], self.clock.now())

    async def append(self, db: Db, entries: list[tuple[Envelope, str]], now: Any) -> None:
        """The entries at the ends of their cases' chains, and a checkpoint per case."""
        if not entries:
            return
        case_ids = sorted({c for _e, c in entries})
        among, values = db.among(case_ids)
        if db.postgres:
            await db.fetch(
                "SELECT pg_advisory_xact_lock(29811, h) FROM (SELECT DISTINCT hashtext(c) AS h"
                " FROM unnest(?::text[]) AS c ORDER BY h) AS ordered",
                case_ids,
            )
        found = await db.fetch(
            "SELECT t.case_id, t.seq, t.chain_hmac FROM timeline t JOIN (SELECT case_id, max(seq) AS seq FROM timeline"
            f" WHERE case_id {among} GROUP BY case_id) m ON t.case_id = m.case_id AND t.seq = m.seq",
            *values,
        )
        heads = {r[0]: (r[1], r[2]) for r in found}
        rows = []
        for envelope, case_id in entries:
            row = timeline_row(envelope, case_id, now)
            seq, previous = heads.get(case_id, (0, GENESIS))
            row["seq"], row["chain_hmac"] = (
                seq + 1,
                link(self.chain_key, case_id, seq + 1, previous, row["content_hash"]),
            )
            heads[case_id] = (row["seq"], row["chain_hmac"])
            rows.append(row)
        await db.insert(timeline, rows)
        checkpoints = [
            {"case_id": c, "seq": heads[c][0], "chain_hmac": heads[c][1], "recorded_at": now} for c in case_ids
        ]
        await db.insert(timeline_checkpoints, checkpoints)

    async def tasks(self) -> list:
        streams = (
            ("tsunagi.consultation", {"consultation.submitted": self.on_consultations}, 0.0),
            ("tsunagi.notification", {"notification.recorded": self.on_notifications}, 0.1),
        )
        tasks = []
        for stream, handlers, linger in streams:
            db, lock = await self.lanes.get(stream)
            tasks.append(
                consume(
                    db,
                    self.redis,
                    messaging,
                    self.keys,
                    stream,
                    "case",
                    handlers,
                    self.clock,
                    lock,
                    self.signal,
                    linger,
                )
            )
        return [*tasks, relay(*await self.lanes.get("relay"), self.redis, self.signal, self.clock)]


def _json(value: Any) -> Any:
    import pydantic_core

    return pydantic_core.from_json(value) if isinstance(value, str | bytes) else value
