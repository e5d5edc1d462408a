"""Idempotent consumers on a real database: two replicas applying the same entry at
once apply it once (the inbox's primary key decides), and the loser's effects roll back."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from shared.events import SYSTEM, CaseStageChanged, NotificationRecorded, new_event_id
from shared.messaging.consumer import EventHandlers, StreamConsumer
from tests.integration.messaging.conftest import publish, stage_event

STREAM = "tsunagi.case"


async def test_two_replicas_racing_for_one_entry_apply_it_once(intake_db, redis) -> None:
    settings, db = intake_db

    async def notify_slowly(envelope, uow) -> None:
        uow.publish(envelope.caused(NotificationRecorded(
            notification_id=new_event_id(), recipient_role="coordinator", recipient_scope="中部", kind="stage",
            about_event_id=envelope.event_id), aggregate_id=envelope.aggregate_id, actor=SYSTEM))
        await asyncio.sleep(0.1)  # both replicas are inside their transaction now

    handlers = EventHandlers()
    handlers.on(CaseStageChanged)(notify_slowly)
    replicas = [StreamConsumer(service="intake", consumer=f"intake-{n}", handlers=handlers,
                               unit_of_work=db.unit_of_work, redis=redis) for n in (1, 2)]
    event = stage_event()
    await publish(settings.redis_url, STREAM, event)
    [(_id, fields)] = await redis.xrange(STREAM)

    results = await asyncio.gather(*(r.apply(STREAM, fields) for r in replicas))
    assert sorted(results) == [False, True]
    async with db.engine.connect() as session:
        inbox = db.tables.inbox
        outbox = db.tables.outbox
        assert (await session.execute(select(func.count()).select_from(inbox)
                                      .where(inbox.c.event_id == event.event_id))).scalar_one() == 1
        assert (await session.execute(select(func.count()).select_from(outbox))).scalar_one() == 1
    assert sum(r.duplicates_total for r in replicas) == 1
