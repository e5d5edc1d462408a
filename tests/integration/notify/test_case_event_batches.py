"""``case.opened`` and ``case.consultation_linked`` applied a batch at a time (one query
for the known cases, one for the cases taken up, one statement per table) leave exactly
the rows, notifications and published events that applying the same entries one at a
time does — through the real consumer, on real Redis and both databases.

Both runs share one database: each uses its own case, reporter and event ids (a tag in
each), and the comparison maps them back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from services.notify.adapters.orm import case_reporters, cases, messaging, notifications
from services.notify.handlers import events as handlers
from shared.clock import FrozenClock
from shared.db.migrate import migrate
from shared.events import SYSTEM, CaseOpened, ConsultationLinked, Envelope, new_event_id
from shared.events.case import CaseMoved
from shared.messaging.streams import ensure_group
from tests.integration.notify.notify_support import agency_move, envelope, jst, publish, requested

CASES = "tsunagi.case"
REFERRALS = "tsunagi.referral"
GROUP = "notify"
ONE, BATCH = "To9_", "Tb9_"  # in every id of each run (and in nothing else)


def opened(
    tag: str, case: str, *, area: str = "中部", urgency: str = "通常", reporter: str = "vol-1", at: Any
) -> Envelope:
    case_id = f"{tag}{case}"
    return envelope(
        CaseOpened(
            case_id=case_id,
            case_number=f"C-{tag}{case}",
            area=area,
            consultation_id=new_event_id(),
            reference=f"R-{tag}{case}",
            reporter_id=f"{tag}{reporter}",
            urgency=urgency,
            categories=["孤立"],
        ),
        actor=SYSTEM,
        at=at,
    )


def linked(tag: str, case: str, *, reporter: str, at: Any) -> Envelope:
    return envelope(
        ConsultationLinked(
            case_id=f"{tag}{case}",
            consultation_id=new_event_id(),
            reference=f"R-{tag}{case}-{reporter}",
            reporter_id=f"{tag}{reporter}",
            reason="同一人物",
        ),
        actor=SYSTEM,
        at=at,
    )


def seeds(tag: str, at: Any) -> list[Envelope]:
    """Applied before the batch, one at a time: a case taken up before notify heard it
    opened, a case moved before it was opened, a case already known."""
    referral_id = f"{tag}refx"
    return [
        requested(referral_id, f"{tag}casex", at),
        agency_move("accepted", referral_id, f"{tag}casex", at),
        envelope(CaseMoved(case_id=f"{tag}casem", from_area="中部", to_area="東部"), actor=SYSTEM, at=at),
        opened(tag, "casek", area="西部", at=at),
    ]


def scenario(tag: str, at: Any) -> list[Envelope]:
    return [
        opened(tag, "casea", at=at),
        linked(tag, "casea", reporter="vol-2", at=at),  # a case opened earlier in the batch
        linked(tag, "casel", reporter="vol-1", at=at),  # a case notify does not know yet …
        opened(tag, "casel", area="市全域", urgency="緊急", at=at),  # … opened after it: every area's coordinators
        opened(tag, "casex", reporter="vol-3", at=at),  # taken up already: the reporter is told
        opened(tag, "casem", urgency="緊急", at=at),  # moved already: keeps the area it moved to
        linked(tag, "casex", reporter="vol-1", at=at),  # taken up: this reporter is told too
        opened(tag, "caseb", urgency="緊急", reporter="vol-2", at=at),
        linked(tag, "casea", reporter="vol-2", at=at),  # the same reporter again
        linked(tag, "casek", reporter="vol-4", at=at),  # a case known before the batch
    ]


async def read(redis: Any, stream: str, consumer: str) -> list[Any]:
    got = await redis.xreadgroup(GROUP, consumer, {stream: ">"}, count=100)
    return got[0][1] if got else []


async def apply_one_at_a_time(consumer: Any, redis: Any, stream: str) -> int:
    entries = await read(redis, stream, "notify-test")
    for entry in entries:
        assert await consumer.apply_entries(stream, [entry]) == [entry[0]]
    return len(entries)


def normalise(value: Any, tag: str, events: dict[str, str], ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        value = events.get(value) or ids.get(value) or value
        return value.replace(tag, "<tag>")
    if isinstance(value, dict):
        return {k: normalise(v, tag, events, ids) for k, v in value.items() if k not in ("event_id", "occurred_at")}
    if isinstance(value, list | tuple):
        return [normalise(v, tag, events, ids) for v in value]
    return value


async def outcome(db: Any, tag: str, batch: list[Envelope]) -> dict[str, Any]:
    """Everything the run wrote for its tag, with its ids replaced by positions."""
    events = {e.event_id: f"<event {i}>" for i, e in enumerate(batch)}
    events.update({e.correlation_id: f"<correlation {i}>" for i, e in enumerate(batch)})
    outbox = messaging.outbox
    async with db() as session:
        rows = [
            dict(r._mapping)
            for r in await session.execute(
                select(notifications)
                .where(notifications.c.about_event_id.in_([e.event_id for e in batch]))
                .order_by(notifications.c.id)
            )
        ]
        ids = {r["id"]: f"<notification {i}>" for i, r in enumerate(rows)}
        published = [
            e
            for e in (await session.execute(select(outbox.c.envelope).order_by(outbox.c.id))).scalars()
            if e["payload"].get("about_event_id") in {e.event_id for e in batch}
        ]
        case_rows = [
            dict(r._mapping)
            for r in await session.execute(
                select(cases).where(cases.c.case_id.startswith(tag)).order_by(cases.c.case_id)
            )
        ]
        reporter_rows = [
            tuple(r)
            for r in await session.execute(
                select(case_reporters)
                .where(case_reporters.c.case_id.startswith(tag))
                .order_by(case_reporters.c.case_id, case_reporters.c.reporter_id)
            )
        ]
    return {
        "notifications": normalise(rows, tag, events, ids),
        "published": normalise(published, tag, events, ids),
        "cases": normalise(case_rows, tag, events, ids),
        "reporters": normalise(reporter_rows, tag, events, ids),
    }


async def test_a_batch_of_case_events_ends_as_one_at_a_time_would(make_settings, database_backend, monkeypatch) -> None:
    from services.notify.bootstrap import build_app

    batch_sizes: list[int] = []
    real = handlers.on_case_events

    async def spy(ctx: Any, envelopes: list[Envelope], uow: Any) -> None:
        batch_sizes.append(len(envelopes))
        await real(ctx, envelopes, uow)

    monkeypatch.setattr(handlers, "on_case_events", spy)
    settings = make_settings()
    clock = FrozenClock(jst(2026, 11, 20, 10, 0))
    at = clock.now()
    await migrate(settings, "notify")
    app = build_app(settings, clock)
    runtime = app.state.services.runtime
    consumer, redis = runtime.consumer, runtime.redis
    try:
        for stream in (CASES, REFERRALS):
            await ensure_group(redis, stream, GROUP)
        # What each run finds in the database first, applied one entry at a time.
        for tag in (ONE, BATCH):
            first = seeds(tag, at)
            await publish(settings, *first[:2])
            assert await apply_one_at_a_time(consumer, redis, REFERRALS) == 2
            await publish(settings, *first[2:])
            assert await apply_one_at_a_time(consumer, redis, CASES) == 2
        batch_sizes.clear()

        one_by_one = scenario(ONE, at)
        await publish(settings, *one_by_one)
        assert await apply_one_at_a_time(consumer, redis, CASES) == len(one_by_one)
        assert batch_sizes == [1] * len(one_by_one)

        batch_sizes.clear()
        together = scenario(BATCH, at)
        await publish(settings, *together)
        entries = await read(redis, CASES, "notify-test")
        assert len(entries) == len(together)
        assert await consumer.apply_entries(CASES, entries) == [m for m, _f in entries]
        assert batch_sizes == [len(together)]  # one call of the batch handler, no fallback

        expected = await outcome(runtime.engine.connect, ONE, one_by_one)
        got = await outcome(runtime.engine.connect, BATCH, together)
        assert got == expected

        # And what one at a time decides is what the rules say.
        told = {
            (n["about_event_id"], n["recipient_role"], n["recipient_scope"], n["kind"]) for n in got["notifications"]
        }
        areas = sorted(a.id for a in app.state.services.context.reference.areas)
        assert {("<event 3>", "coordinator", area, "urgent_case") for area in areas} <= told
        assert ("<event 4>", "reporter", "<tag>vol-3", "reporter_connected") in told
        assert ("<event 6>", "reporter", "<tag>vol-1", "reporter_connected") in told
        assert ("<event 5>", "coordinator", "東部", "urgent_case") in told
        assert len(got["notifications"]) == len(got["published"]) == len(told)
        by_case = {c["case_id"]: c for c in got["cases"]}
        assert by_case["<tag>casem"]["area"] == "東部" and by_case["<tag>casel"]["area"] == "市全域"
        assert by_case["<tag>casek"]["area"] == "西部"
        assert ["<tag>casea", "<tag>vol-2"] in got["reporters"]
        assert (await redis.xpending(CASES, GROUP))["pending"] == 0
    finally:
        await redis.aclose()
        await runtime.engine.dispose()
