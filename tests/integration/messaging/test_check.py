"""``tsunagi check`` on two small test services (a publisher and a consumer that causes
one effect per event), real Redis and SQLite / PostgreSQL: clean when all is applied,
patient with work in flight, and non-zero when an event was lost or caused twice."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import MetaData, delete, insert, select, text

from shared.db.engine import is_postgres, make_engine
from shared.db.tables import messaging_tables
from shared.events import SYSTEM, CaseStageChanged, NotificationRecorded, new_event_id
from shared.messaging import consistency
from shared.messaging.catalog import ServiceParts
from shared.messaging.consistency_report import CausalRule
from shared.messaging.handlers import EventHandlers
from shared.runtime import ServiceRuntime
from tests.integration.messaging.conftest import stage_event
from tests.support.services import eventually

PUB, CON = "checkpub", "checkcon"


async def notify_once(envelope, uow) -> None:
    payload = envelope.payload_as(CaseStageChanged)
    uow.publish(
        envelope.caused(
            NotificationRecorded(
                notification_id=new_event_id(),
                recipient_role="coordinator",
                recipient_scope="中部",
                kind="stage",
                case_id=payload.case_id,
                about_event_id=envelope.event_id,
            ),
            aggregate_id=payload.case_id,
            actor=SYSTEM,
        )
    )


def parts_of() -> dict[str, ServiceParts]:
    pub_meta, con_meta = MetaData(), MetaData()
    handlers = EventHandlers()
    handlers.on(CaseStageChanged)(notify_once)
    rule = CausalRule("case.stage_changed", CON, ("notification.recorded",), "stage changes → one notification")
    return {
        PUB: ServiceParts(PUB, messaging_tables(pub_meta), EventHandlers()),
        CON: ServiceParts(CON, messaging_tables(con_meta), handlers, (rule,)),
    }


async def create_tables(settings, service: str, parts: ServiceParts) -> None:
    engine = make_engine(settings, service)
    if is_postgres(engine):
        async with engine.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{service}"'))
    async with engine.begin() as conn:
        await conn.run_sync(parts.tables.outbox.metadata.create_all)
    await engine.dispose()


async def started(settings, parts: ServiceParts, publishes: tuple[str, ...]) -> ServiceRuntime:
    runtime = ServiceRuntime(
        service=parts.name,
        settings=settings,
        metadata=parts.tables.outbox.metadata,
        tables=parts.tables,
        handlers=parts.handlers,
        publishes=publishes,
    )
    await runtime.start()
    await asyncio.wait_for(runtime.messaging_started.wait(), timeout=15)
    return runtime


async def write_events(runtime: ServiceRuntime, count: int) -> None:
    for _ in range(count):
        async with runtime.unit_of_work() as uow:
            uow.publish(stage_event())
            await uow.commit()


async def test_check_is_clean_then_detects_lost_and_duplicated_events(
    make_settings, database_backend, monkeypatch: pytest.MonkeyPatch, tsunagi
) -> None:
    settings = make_settings()
    parts = parts_of()
    for name, service_parts in parts.items():
        await create_tables(settings, name, service_parts)
    monkeypatch.setattr(consistency, "SERVICES", (PUB, CON))
    monkeypatch.setattr(consistency, "load_service", lambda name, _settings: (parts[name], ""))

    pub = await started(settings, parts[PUB], ("case",))
    con = await started(settings, parts[CON], ("notification",))
    try:
        await write_events(pub, 5)
        code, out = await tsunagi(settings, "check", "--wait", "15", "--json")
        report = json.loads(out)
        assert code == 0, out
        assert report["ok"] and report["in_flight"] == 0
        [flow] = report["flows"]
        assert (flow["event_type"], flow["publisher"], flow["consumer"]) == ("case.stage_changed", PUB, CON)
        assert (flow["published"], flow["applied"], flow["lost_count"]) == (5, 5, 0)
        [rule] = report["rules"]
        assert (rule["causes"], rule["missing"], rule["duplicated"]) == (5, [], [])

        # The consumer is down: a new event is in flight, which is not a failure...
        await con.stop()
        await write_events(pub, 1)
        await eventually(lambda: _drained(pub), what="published")
        code, out = await tsunagi(settings, "check")
        assert code == 0 and "still in flight" in out, out
        assert (await tsunagi(settings, "check", "--strict"))[0] == 2

        # ...but acknowledged without being applied, it is lost.
        read = await pub.redis.xreadgroup(CON, "ghost", {"tsunagi.case": ">"}, count=10)
        await pub.redis.xack("tsunagi.case", CON, *[i for i, _ in read[0][1]])
        code, out = await tsunagi(settings, "check")
        assert code == 1 and "LOST case.stage_changed" in out, out

        # An inbox row gone, and one event that caused two notifications.
        engine = make_engine(settings, CON)
        tables = parts[CON].tables
        async with engine.begin() as conn:
            applied = (await conn.execute(select(tables.inbox.c.event_id))).scalars().all()
            await conn.execute(delete(tables.inbox).where(tables.inbox.c.event_id == applied[0]))
            effect = (
                (await conn.execute(select(tables.outbox).where(tables.outbox.c.envelope.is_not(None)).limit(1)))
                .mappings()
                .one()
            )
            await conn.execute(
                insert(tables.outbox).values(
                    event_id=new_event_id(),
                    event_type=effect["event_type"],
                    stream=effect["stream"],
                    aggregate_id=effect["aggregate_id"],
                    envelope=effect["envelope"],
                    created_at=effect["created_at"],
                    published_at=effect["published_at"],
                    attempts=0,
                )
            )
        await engine.dispose()
        code, out = await tsunagi(settings, "check", "--json")
        report = json.loads(out)
        assert code == 1
        assert (report["lost"], report["duplicated"]) == (2, 1)
        assert set(report["flows"][0]["lost"]) == {applied[0], _event_of(read[0][1][0][1])}
        code, out = await tsunagi(settings, "check")
        assert "DUPLICATE case.stage_changed" in out and "PROBLEM: 2 lost, 1 duplicated" in out
    finally:
        await pub.stop()
        await con.stop()


def _event_of(fields) -> str:
    from shared.messaging.streams import decode_entry

    return decode_entry(fields).event_id


async def _drained(runtime: ServiceRuntime) -> bool:
    return await runtime.relay.backlog() == 0
