"""Retention's erasure of a case's events kept by the messaging (shared/messaging/erasure.py),
on intake's real database (SQLite, PostgreSQL) and real Redis: the outbox rows of the
case's aggregates whose event has personal fields lose them and are marked erased — one
the relay had not sent yet is never sent — their stream entries are deleted, and rows
of other aggregates or without personal fields stay as they were; a second run changes
nothing. (The whole path, dead letters and ``tsunagi check`` included, runs in
tests/integration/case/test_retention.py.)"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from shared.clock import utcnow
from shared.events import SYSTEM, Envelope
from shared.keyring import KeyRing
from shared.messaging.erasure import erase_outbox, forget_stream_entries
from tests.integration.messaging.conftest import publish, stage_event
from tests.support.erasure import erased, event_ids_in_streams
from tests.unit.test_keyring import submitted

STREAM = "tsunagi.consultation"


def _submitted(consultation_id: str) -> Envelope:
    payload = submitted().model_copy(update={"consultation_id": consultation_id})
    return Envelope.wrap(payload, aggregate_id=consultation_id, actor=SYSTEM, correlation_id=consultation_id)


async def _rows(db: Any) -> dict[str, dict[str, Any]]:
    async with db.engine.connect() as conn:
        return {r["event_id"]: dict(r) for r in (await conn.execute(select(db.tables.outbox))).mappings()}


async def test_erasure_empties_the_case_events_in_the_outbox_and_the_stream(intake_db, redis) -> None:
    settings, db = intake_db
    sent, unsent, other = _submitted("c-sent"), _submitted("c-unsent"), _submitted("c-other")
    plain = stage_event("c-sent")  # the case's, with nothing personal in it
    uow = db.unit_of_work()
    uow.keys = KeyRing.for_tests()
    async with uow:
        uow.publish(sent, unsent, other, plain)
        await uow.commit()
    outbox = db.tables.outbox
    async with db.engine.begin() as conn:  # the relay sent all but one
        await conn.execute(update(outbox).where(outbox.c.event_id != unsent.event_id).values(published_at=utcnow()))
    before = await _rows(db)
    as_sent = [Envelope.model_validate(before[e.event_id]["envelope"]) for e in (sent, other, plain)]
    await publish(settings.redis_url, STREAM, *as_sent)

    async with db.engine.begin() as conn:
        events = await erase_outbox(conn, outbox, {"c-sent", "c-unsent"}, utcnow())
        removed = await forget_stream_entries(redis, events)
    assert sorted((e.event_id, e.published) for e in events) == sorted(
        [(sent.event_id, True), (unsent.event_id, False)]
    )
    assert removed == 1
    after = await _rows(db)
    for event in (sent, unsent):
        row = after[event.event_id]
        assert erased(row) and row["published_at"] is not None, row
        assert row["envelope"]["payload"]["consultation_id"] == event.aggregate_id
        assert row["envelope"]["payload"]["person"]["name"] is None
    assert after[other.event_id] == before[other.event_id] and after[plain.event_id] == before[plain.event_id]
    assert await event_ids_in_streams(redis) == {other.event_id, plain.event_id}
    assert after[unsent.event_id]["envelope"]["payload"]["reference"] == "R-1"  # what it was, without whom

    async with db.engine.begin() as conn:  # applied again (a redelivery): nothing more to do
        assert await erase_outbox(conn, outbox, {"c-sent", "c-unsent"}, utcnow()) == []
