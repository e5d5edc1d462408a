"""What notify adds to its /metrics: follow-up timers by step and escalation rung and
deliveries by channel and status (the query layer's counts, read at scrape time from
the database), and the rungs fired and delivery attempts this process made. Counts only."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client.core import Metric

from services.notify.entrypoints.timer import FollowupTimer
from services.notify.handlers import queries
from services.notify.handlers.deliveries import DeliveryWorker
from shared.db.uow import UnitOfWork
from shared.metrics import ServiceMetrics

TIMER_LABELS = ("step", "rungs_fired")


def watch_notify(
    metrics: ServiceMetrics, unit_of_work: Callable[[], UnitOfWork], timer: FollowupTimer, worker: DeliveryWorker
) -> None:
    async def stored() -> list[Metric]:
        figures = await queries.figures(unit_of_work())

        def by_timer(counts: dict[tuple[str, int], int]) -> dict[tuple[str, ...], float]:
            return {(step, str(level)): count for (step, level), count in counts.items()}

        return [
            metrics.gauge(
                "tsunagi_notify_followups_pending",
                "Follow-up timers still running (waiting or overdue), by step and rungs already fired.",
                by_timer(figures.followups_pending),
                TIMER_LABELS,
            ),
            metrics.gauge(
                "tsunagi_notify_followups_due",
                "Follow-up timers whose next rung is due to fire now (the timer loop has not caught up).",
                by_timer(figures.followups_due),
                TIMER_LABELS,
            ),
            metrics.gauge(
                "tsunagi_notify_followups_overdue",
                "Referral steps past their deadline, by step and escalation rungs fired.",
                by_timer(figures.followups_overdue),
                TIMER_LABELS,
            ),
            metrics.gauge(
                "tsunagi_notify_deliveries",
                "Email and webhook deliveries by channel and status.",
                {key: n for key, n in figures.deliveries.items()},
                ("channel", "status"),
            ),
        ]

    def in_process() -> list[Metric]:
        passed: dict[tuple[str, ...], float] = {} if timer.last_pass_at is None else {(): timer.last_pass_at}
        return [
            metrics.gauge(
                "tsunagi_notify_followup_timer_last_pass_timestamp_seconds",
                "When the follow-up timer's last complete pass started (Unix time, by the service's clock).",
                passed,
            ),
            metrics.counter(
                "tsunagi_notify_followup_rungs_fired",
                "Escalation rungs this process fired (reminders and escalations sent).",
                timer.fired_total,
            ),
            metrics.counter(
                "tsunagi_notify_delivery_attempts",
                "Delivery attempts this process made, by channel and outcome "
                "(delivered, retrying: failed and retried later, failed: given up).",
                {key: n for key, n in worker.attempts.items()},
                ("channel", "outcome"),
            ),
        ]

    metrics.on("database", stored)
    metrics.add_reader(in_process)
