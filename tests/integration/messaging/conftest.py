"""Helpers for the messaging kernel's integration tests: intake's real database and
messaging tables as the service under test, events published the way the relay does."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import redis.asyncio as aioredis
from faststream.redis import RedisBroker
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.clock import Clock
from shared.db.engine import make_engine
from shared.db.migrate import migrate
from shared.db.tables import MessagingTables
from shared.db.uow import UnitOfWork
from shared.events import SYSTEM, CaseOpened, CaseStageChanged, Envelope
from shared.messaging.streams import headers_of
from shared.settings import Settings

LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[")


def stage_event(case_id: str | None = None, stage: str = "対応中") -> Envelope:
    case_id = case_id or uuid.uuid4().hex[:26]
    return Envelope.wrap(
        CaseStageChanged(case_id=case_id, stage=stage),
        aggregate_id=case_id,
        actor=SYSTEM,
        correlation_id=uuid.uuid4().hex,
        case_id=case_id,
    )


def case_opened_for(submitted: Envelope, case_id: str | None = None) -> Envelope:
    """The case.opened a case service would publish for a consultation.submitted."""
    case_id = case_id or uuid.uuid4().hex[:26]
    p = submitted.payload
    return submitted.caused(
        CaseOpened(
            case_id=case_id,
            case_number=f"C-{case_id[:6]}",
            area="中部",
            consultation_id=p["consultation_id"],
            reference=p["reference"],
            reporter_id=p["reporter_id"],
            urgency=p["urgency"],
            categories=p["categories"],
        ),
        aggregate_id=case_id,
        actor=SYSTEM,
        case_id=case_id,
    )


async def publish(redis_url: str, stream: str, *envelopes: Envelope) -> None:
    """Publish as the relay does (FastStream's binary format, with headers)."""
    broker = RedisBroker(redis_url)
    await broker.connect()
    try:
        for envelope in envelopes:
            await broker.publish(
                envelope, stream=stream, headers=headers_of(envelope), correlation_id=envelope.correlation_id
            )
    finally:
        await broker.stop()


@dataclass
class ServiceDb:
    engine: AsyncEngine
    tables: MessagingTables

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.engine, self.tables, Clock())


@pytest.fixture
async def intake_db(make_settings, database_backend) -> AsyncIterator[tuple[Settings, ServiceDb]]:
    """Intake's migrated database (SQLite or PostgreSQL) and its messaging tables."""
    from services.intake.adapters.orm import messaging

    settings = make_settings()
    await migrate(settings, "intake")
    engine = make_engine(settings, "intake")
    yield settings, ServiceDb(engine, messaging)
    await engine.dispose()


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def tsunagi(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """``await tsunagi(settings, "dlq", "list")`` → (exit code, stdout): the real command,
    configured by environment variables as an operator's shell would be."""
    import asyncio

    from shared.cli.main import main

    async def run(settings: Settings, *argv: str) -> tuple[int, str]:
        monkeypatch.setenv("TSUNAGI_REDIS_URL", settings.effective_redis_url())
        monkeypatch.setenv("TSUNAGI_DATA_DIR", str(settings.data_dir))
        monkeypatch.setenv("TSUNAGI_OPERATOR", "test-operator")
        if settings.database_url:
            monkeypatch.setenv("TSUNAGI_DATABASE_URL", settings.database_url)
        else:
            monkeypatch.delenv("TSUNAGI_DATABASE_URL", raising=False)
        capsys.readouterr()
        code = await asyncio.to_thread(main, list(argv))
        # The in-process services' log lines share stdout with the command: leave them out.
        out = "".join(line for line in capsys.readouterr().out.splitlines(keepends=True) if not LOG_LINE.match(line))
        return code, out

    return run
