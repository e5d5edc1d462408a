"""A dead-lettered event the case service replays (``tsunagi dlq replay``) goes through
the case's own unit of work: its timeline entry is chained like any other."""

from __future__ import annotations

from faststream.redis import RedisBroker
from redis.asyncio import Redis
from sqlalchemy import select

from services.case.adapters.orm import timeline
from shared.db.engine import make_engine
from shared.db.migrate import migrate
from shared.events import Actor, Envelope, FollowupFired
from shared.messaging.deadletter import dead_letter_entry
from shared.messaging.streams import dead_letter_stream, headers_of
from tests.support.load import run_tsunagi
from tests.support.timelines import append, chain_of, new_case_id, verify


async def test_a_replayed_dead_letter_is_chained_on_the_timeline(make_settings, database_backend) -> None:
    settings = make_settings()
    await migrate(settings, "case")
    engine = make_engine(settings, "case")
    case_id = new_case_id()
    await append(engine, chain_of(settings), case_id, 2)
    fired = FollowupFired(
        followup_id="f1",
        referral_id="r1",
        case_id=case_id,
        step="reminder-1",
        recipient_role="agency",
        recipient_scope="hc-3",
        overdue_since="2026-11-20",
    )
    envelope = Envelope.wrap(
        fired, aggregate_id="r1", actor=Actor(role="system", id="notify"), correlation_id="c", case_id=case_id
    )
    redis = Redis.from_url(str(settings.redis_url))
    try:
        # The entry exactly as a relay writes it, then dead-lettered as the consumer would.
        async with RedisBroker(str(settings.redis_url)) as broker:
            await broker.publish(envelope, stream="scratch", headers=headers_of(envelope))
        [(message_id, fields)] = await redis.xrange("scratch")
        letter = dead_letter_entry(
            service="case", stream="tsunagi.followup", message_id=message_id, fields=fields, attempts=5, error="bug"
        )
        letter_id = (await redis.xadd(dead_letter_stream("case"), letter)).decode()  # type: ignore[arg-type]
    finally:
        await redis.aclose()
    replayed = run_tsunagi(settings, "dlq", "replay", f"case/{letter_id}")
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    async with engine.connect() as db:
        rows = (
            await db.execute(
                select(timeline.c.seq, timeline.c.type).where(timeline.c.case_id == case_id).order_by(timeline.c.seq)
            )
        ).all()
    await engine.dispose()
    assert [(s, t) for s, t in rows] == [(1, "case.assigned"), (2, "case.assigned"), (3, "followup.fired")]
    assert (await verify(settings, "--case", case_id))[0] == 0
