"""What every service process runs besides its routes: the database, the broker and
its subscribers, the outbox relay, the reclaim loop and (on the relay leader) the
retention trimming of the streams the service publishes. Each service's
``bootstrap.py`` builds one from ``Settings``; nothing connects at import time."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import MetaData, text

from shared.access import AccessRegistry
from shared.backoff import Backoff
from shared.clock import Clock
from shared.db.engine import make_engine, make_read_engine
from shared.db.group_commit import GroupCommit
from shared.db.tables import AccessTables, MessagingTables
from shared.db.uow import UnitOfWork, UnitOfWorkFactory
from shared.events import stream_for
from shared.identity import TokenVerifier
from shared.keyring import KeyRing
from shared.logging import get_logger
from shared.messaging.broker import make_broker, make_redis
from shared.messaging.consumer import StreamConsumer
from shared.messaging.erasure import with_message_erasure
from shared.messaging.handlers import EventHandlers
from shared.messaging.metrics import watch_messaging
from shared.messaging.reclaim import Reclaimer
from shared.messaging.relay import OutboxRelay
from shared.messaging.retention import StreamTrimmer
from shared.messaging.streams import ensure_group
from shared.messaging.subscription import subscribe
from shared.metrics import ServiceMetrics
from shared.reference import ReferenceData
from shared.settings import Settings
from shared.tracing import NO_SPANS, start_tracing

log = get_logger(__name__)

TRIM_INTERVAL_S = 60.0
FORGET_ENDED_SESSIONS_S = 3600.0
# Readiness and metrics answer within this even when Redis does not (see make_redis).
REDIS_CHECK_TIMEOUT_S = 5.0
# A scrape answers within this even when the database does not.
DATABASE_CHECK_TIMEOUT_S = 5.0


async def cancel_until_done(tasks: list[asyncio.Task[Any]]) -> None:
    """redis-py (or a database driver) can swallow a cancellation that lands
    mid-command, so cancel until each background task has really finished."""
    pending = {t for t in tasks if not t.done()}
    while pending:
        for task in pending:
            task.cancel()
        _done, pending = await asyncio.wait(pending, timeout=1.0)


class ServiceRuntime:
    def __init__(
        self,
        *,
        service: str,
        settings: Settings,
        metadata: MetaData,
        tables: MessagingTables,
        handlers: EventHandlers,
        publishes: tuple[str, ...],
        clock: Clock | None = None,
        access_tables: AccessTables | None = None,
        reference: ReferenceData | None = None,
        # A service whose transactions end with writes of its own passes its UnitOfWork.
        unit_of_work: UnitOfWorkFactory = UnitOfWork,
    ) -> None:
        """``reference``: the service's live reference data, which tokens' scopes are checked against."""
        self.service = service
        self.settings = settings
        self.make_unit_of_work = unit_of_work
        self.metadata = metadata
        self.tables = tables
        self.clock = clock or Clock.from_settings(settings)
        # What the console revoked (a service that applies account.* / session.ended).
        self.access_tables = access_tables
        self.access = AccessRegistry()
        self.tokens = TokenVerifier(
            settings, clock=self.clock, access=self.access if access_tables else None, reference=reference
        )
        self.consumer_name = settings.unique_consumer_name(service)
        # Seals the personal fields of the events this service publishes, opens those it applies.
        self.keys = KeyRing.from_settings(settings)
        self.engine = make_engine(settings, service)
        # Reads that write nothing (read_unit_of_work); the same engine on PostgreSQL.
        self._read_engine = make_read_engine(settings, service)
        self.read_engine = self._read_engine or self.engine
        self.broker = make_broker(settings, publishes=publishes)
        self.redis = make_redis(settings)
        # Applying case.retention_erased erases the case's events kept here too.
        handlers = with_message_erasure(handlers, redis=self.redis, service=service, outbox=tables.outbox)
        # None unless TSUNAGI_OTLP_ENDPOINT is set (the app is instrumented by create_api).
        self.tracing = start_tracing(settings, service, self.consumer_name)
        spans = NO_SPANS
        if self.tracing is not None:
            self.tracing.instrument_engine(self.engine)
            if self._read_engine is not None:
                self.tracing.instrument_engine(self._read_engine)
            self.tracing.instrument_redis(self.redis)
            spans = self.tracing.spans
        self.outbox_signal = asyncio.Event()
        # Commands that only insert (intake's consultations) share transactions under load.
        self.group_commit = GroupCommit(self.unit_of_work)
        self.consumer = StreamConsumer(
            service=service,
            consumer=self.consumer_name,
            handlers=handlers,
            unit_of_work=self.unit_of_work,
            redis=self.redis,
            spans=spans,
            keys=self.keys,
        )
        subscribe(
            self.consumer,
            self.broker,
            batch_size=settings.batch_size,
            poll_interval_ms=settings.poll_interval_ms,
            background_linger_ms=settings.background_linger_ms,
        )
        self.relay = OutboxRelay(
            service=service,
            owner=self.consumer_name,
            engine=self.engine,
            tables=tables,
            broker=self.broker,
            redis=self.redis,
            clock=self.clock,
            signal=self.outbox_signal,
            poll_interval_s=settings.relay_poll_interval_s,
            spans=spans,
        )
        self.reclaimer = Reclaimer(
            self.consumer,
            self.redis,
            idle_ms=settings.reclaim_idle_ms,
            max_deliveries=settings.max_deliveries,
            batch_size=settings.batch_size,
        )
        # Each service trims the streams it publishes to (one writer, one trimmer).
        self.trimmer = StreamTrimmer(self.redis, [stream_for(family) for family in publishes])
        self._tasks: list[asyncio.Task[Any]] = []
        self.messaging_started = asyncio.Event()
        self.metrics = ServiceMetrics(service)
        self.metrics.add_source(
            "database",
            "1 when the service's database answered this scrape, 0 otherwise.",
            self._ping_database,
            DATABASE_CHECK_TIMEOUT_S,
        )
        self.metrics.add_source(
            "redis", "1 when Redis answered this scrape, 0 otherwise.", self.redis.ping, REDIS_CHECK_TIMEOUT_S
        )
        watch_messaging(self.metrics, self.consumer, self.relay, self.redis)

    def unit_of_work(self) -> UnitOfWork:
        return self.make_unit_of_work(self.engine, self.tables, self.clock, self.outbox_signal, keys=self.keys)

    def read_unit_of_work(self) -> UnitOfWork:
        """For a read that writes nothing, not even a read log (on SQLite it cannot)."""
        return self.make_unit_of_work(self.read_engine, self.tables, self.clock, keys=self.keys)

    async def _start_messaging(self) -> None:
        """Retries until Redis answers: the HTTP API serves (and the outbox fills)
        meanwhile."""
        backoff = Backoff(first_s=0.2, cap_s=5.0)
        while True:
            try:
                for stream in self.consumer.handlers.streams:
                    await ensure_group(self.redis, stream, self.consumer.group)
                await self.broker.start()
                break
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("messaging_start_retry", error_type=type(exc).__name__, error=str(exc)[:200])
                with contextlib.suppress(Exception):
                    await self.broker.stop()
                await backoff.sleep()
        self._tasks.append(asyncio.create_task(self.relay.run(), name=f"{self.service}-relay"))
        self._tasks.append(
            asyncio.create_task(self.reclaimer.run(self.settings.reclaim_interval_s), name=f"{self.service}-reclaim")
        )
        self._tasks.append(
            asyncio.create_task(
                self.trimmer.run(TRIM_INTERVAL_S, only_when=lambda: self.relay.is_leader), name=f"{self.service}-trim"
            )
        )
        self.messaging_started.set()
        log.info("messaging_started", consumer=self.consumer_name, streams=self.consumer.handlers.streams)

    async def _refresh_access(self) -> None:
        """Keeps this process's copy of revoked sessions and accounts current."""
        assert self.access_tables is not None
        forgotten_at = self.clock.now()
        while True:
            await asyncio.sleep(self.settings.access_refresh_s)
            try:
                now = self.clock.now()
                await self.access.refresh(self.engine, self.access_tables, now)
                if (now - forgotten_at).total_seconds() >= FORGET_ENDED_SESSIONS_S:
                    await self.access.forget_expired(self.engine, self.access_tables, now)
                    forgotten_at = now
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database may be down: keep the last copy, try again
                log.warning("access_refresh_failed", error_type=type(exc).__name__)

    async def start(self) -> None:
        if self.access_tables is not None:
            # The first refresh before serving: a restarted process must not forget revocations.
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2.0):
                    await self.access.refresh(self.engine, self.access_tables, self.clock.now())
            self._tasks.append(asyncio.create_task(self._refresh_access(), name=f"{self.service}-access"))
        self._tasks.append(asyncio.create_task(self._start_messaging(), name=f"{self.service}-messaging"))

    async def stop(self) -> None:
        await cancel_until_done(self._tasks)
        for task in self._tasks:
            with contextlib.suppress(BaseException):
                task.result()
        self._tasks.clear()
        with contextlib.suppress(Exception):
            await self.broker.stop()
        with contextlib.suppress(Exception):
            await self.redis.aclose()
        await self.engine.dispose()
        if self._read_engine is not None:
            await self._read_engine.dispose()
        if self.tracing is not None:
            self.tracing.shutdown()

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: Any) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    async def readiness(self) -> dict[str, Any]:
        checks: dict[str, Any] = {}
        try:
            await self._ping_database()
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"unavailable: {type(exc).__name__}"
        try:
            async with asyncio.timeout(REDIS_CHECK_TIMEOUT_S):
                await self.redis.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"unavailable: {type(exc).__name__}"
        checks["messaging"] = "started" if self.messaging_started.is_set() else "starting"
        checks["ready"] = checks["database"] == "ok" and checks["redis"] == "ok"
        return checks

    async def _ping_database(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
