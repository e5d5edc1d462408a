"""The follow-up timer loop: every interval, fire whatever rungs are due by the
injected clock. Durable (the timers are rows), once-only across replicas (each rung
is a conditional update, see ``FollowupRepository.advance``) and catching up after
downtime (everything due since is fired, rung by rung, in order)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from services.notify.adapters.followup_repository import FollowupRepository
from services.notify.handlers.context import NotifyContext
from services.notify.handlers.followups import fire_rung
from shared.db.uow import UnitOfWork
from shared.logging import get_logger

log = get_logger(__name__)

BATCH = 100


class FollowupTimer:
    def __init__(self, ctx: NotifyContext, unit_of_work: Callable[[], UnitOfWork]) -> None:
        self.ctx = ctx
        self.unit_of_work = unit_of_work
        self.fired_total = 0
        # When the last complete pass started, by the injected clock: a timer that stopped
        # passing is visible on /metrics (and a test that moved the clock knows it was seen).
        self.last_pass_at: float | None = None

    async def run_once(self) -> int:
        """Fire every rung due now; returns how many this process fired."""
        fired = 0
        started: float | None = None
        while True:
            uow = self.unit_of_work()
            async with uow:
                now = uow.clock.now()
                due = await FollowupRepository(uow.db).due(now, BATCH)
            started = started if started is not None else now.timestamp()
            if not due:
                self.last_pass_at = started
                return fired
            progressed = 0
            for row in due:
                try:
                    if await fire_rung(self.unit_of_work(), self.ctx, row.id, row.level):
                        progressed += 1
                        self.fired_total += 1  # per rung, so the metric never lags a fired rung
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # one bad timer must not stop the others
                    log.error(
                        "followup_fire_failed", followup_id=row.id, error_type=type(exc).__name__, error=str(exc)[:300]
                    )
            fired += progressed
            if progressed == 0:
                return fired  # the rest were taken by another replica or failed; next tick

    async def run(self, interval_s: float) -> None:
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # database away: keep the timers, try again
                log.warning("followup_timer_retry", error_type=type(exc).__name__, error=str(exc)[:200])
            await asyncio.sleep(interval_s)
