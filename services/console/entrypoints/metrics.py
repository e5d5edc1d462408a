"""What the console adds to its /metrics: sign-ins by outcome (this process) and the
sessions in use (read at scrape time). Counts only: never an account id."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import get_args

from prometheus_client import Counter
from prometheus_client.core import Metric

from services.console.handlers.signin import SignInOutcome, active_sessions
from shared.db.uow import UnitOfWork
from shared.metrics import ServiceMetrics

OUTCOMES: tuple[str, ...] = get_args(SignInOutcome)


class ConsoleMetrics:
    def __init__(
        self, metrics: ServiceMetrics, unit_of_work: Callable[[], UnitOfWork], idle_timeout: timedelta
    ) -> None:
        self.service = metrics.service
        self.sign_ins = Counter(
            "tsunagi_console_sign_ins",
            "Sign-in attempts by outcome (ok, failed, locked, disabled).",
            ["service", "outcome"],
            registry=metrics.registry,
        )
        for outcome in OUTCOMES:  # every outcome from 0, so a rate works from the first failure
            self.sign_ins.labels(self.service, outcome)

        async def sessions() -> list[Metric]:
            return [
                metrics.gauge(
                    "tsunagi_console_sessions_active",
                    "Sign-in sessions open and used within the idle timeout.",
                    await active_sessions(unit_of_work, idle_timeout),
                )
            ]

        metrics.on("database", sessions)

    def signed_in(self, outcome: str) -> None:
        self.sign_ins.labels(self.service, outcome).inc()
