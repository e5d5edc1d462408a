"""The figures, run once while the process starts: SQLAlchemy compiles each of their
statements on the first use (~100–200 ms of the event loop at once, in which the process
answers nothing else, `/health` included); done before the first request, the first
supervisor to open the figures does not pay it, and nobody waits behind them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from services.case.handlers.figures import figures
from services.case.handlers.period_figures import period_figures
from shared.db.uow import UnitOfWork
from shared.identity import Identity
from shared.logging import get_logger
from shared.periods import PERIOD_KINDS
from shared.reference import ReferenceData

log = get_logger(__name__)

# Start-up must not wait long on a slow or absent database: the figures warm up on their first use then.
LIMIT_S = 30.0


def warm_callers(reference: ReferenceData) -> list[Identity]:
    """The city's figures and one area's (a coordinator's statements filter by area)."""
    callers = [Identity(subject="case-warm-up", role="supervisor", scope="city")]
    if reference.areas:
        callers.append(Identity(subject="case-warm-up", role="coordinator", scope=reference.areas[0].id))
    return callers


async def warm_up_figures(unit_of_work: Callable[[], UnitOfWork], reference: ReferenceData) -> None:
    started = time.perf_counter()
    try:
        async with asyncio.timeout(LIMIT_S):
            for caller in warm_callers(reference):
                await figures(unit_of_work(), caller, reference)
                for kind in PERIOD_KINDS:
                    await period_figures(unit_of_work(), caller, reference, kind, None)
    except Exception as exc:
        log.warning("figures_not_warmed", error_type=type(exc).__name__)
        return
    log.info("figures_warmed", seconds=round(time.perf_counter() - started, 3))
