"""Retention on a schedule: the case service runs ``run_retention`` every
``TSUNAGI_RETENTION_INTERVAL_S`` (a day by default; 0 turns it off for cron), on the
relay leader only — one replica a tick. Each case is erased once whoever runs it
(``cases.erased_at`` under the case's row lock), so a cron run beside it is harmless."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from redis.asyncio import Redis

from services.case.handlers.retention import run_retention
from shared.db.uow import UnitOfWork
from shared.logging import get_logger
from shared.reference import ReferenceData

log = get_logger(__name__)


class RetentionSchedule:
    def __init__(
        self,
        unit_of_work: Callable[[], UnitOfWork],
        reference: ReferenceData,
        redis: Redis,
        only_when: Callable[[], bool],
    ) -> None:
        self.unit_of_work = unit_of_work
        self.redis = redis
        self.reference = reference
        self.only_when = only_when

    async def run(self, interval_s: float) -> None:
        while True:
            await asyncio.sleep(interval_s)
            if not self.only_when():
                continue
            try:
                await run_retention(self.unit_of_work, self.reference, self.redis)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # database away: the next tick tries again
                log.warning("retention_run_failed", error_type=type(exc).__name__, error=str(exc)[:200])
