"""``GET /metrics`` (Prometheus text format): overdue follow-ups, deliveries by
status, what this process fired and sent. Counts only, never personal data."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from sqlalchemy import func, select

from services.notify.adapters.orm import deliveries, followups

router = APIRouter(tags=["ops"])


@router.get("/metrics", response_class=PlainTextResponse, summary="Prometheus metrics (counts only)")
async def metrics(request: Request) -> str:
    services = request.app.state.services
    uow = services.runtime.unit_of_work()
    async with uow:
        now = uow.clock.now()
        overdue = (await uow.db.execute(
            select(followups.c.step, followups.c.level, func.count())
            .where(followups.c.status == "pending", followups.c.due_at < now)
            .group_by(followups.c.step, followups.c.level))).all()
        by_status = (await uow.db.execute(
            select(deliveries.c.channel, deliveries.c.status, func.count())
            .group_by(deliveries.c.channel, deliveries.c.status))).all()
    lines = ["# HELP tsunagi_notify_followups_overdue Referral steps past their deadline, by escalation rung fired.",
             "# TYPE tsunagi_notify_followups_overdue gauge"]
    lines += [f'tsunagi_notify_followups_overdue{{step="{step}",rungs_fired="{level}"}} {count}'
              for step, level, count in overdue]
    lines += ["# HELP tsunagi_notify_deliveries Email and webhook deliveries by status.",
              "# TYPE tsunagi_notify_deliveries gauge"]
    lines += [f'tsunagi_notify_deliveries{{channel="{channel}",status="{status}"}} {count}'
              for channel, status, count in by_status]
    lines += ["# TYPE tsunagi_notify_followup_rungs_fired_total counter",
              f"tsunagi_notify_followup_rungs_fired_total {services.timer.fired_total}",
              ]
    lines += await services.runtime.metrics_lines()  # lag, pending, dead letters, outbox backlog
    return "\n".join(lines) + "\n"
