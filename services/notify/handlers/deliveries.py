"""The delivery worker: sends due email and webhook deliveries, records every
attempt, retries with exponential backoff, and after the last attempt marks the
delivery failed and tells a supervisor — never a silent drop.

Safe with several replicas: a delivery is claimed by a conditional update (status
pending, due, and no live claim) before it is sent; a worker that dies mid-send loses
its claim after ``delivery_claim_s`` and another retries it (at least once; the
delivery id lets receivers drop a duplicate)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Protocol

from services.notify.adapters.channels import DeliveryError, Outgoing
from services.notify.adapters.delivery_repository import DeliveryRepository
from services.notify.domain.delivery import retry_delay
from services.notify.domain.routing import SUPERVISOR, Notice
from services.notify.domain.templates import CHANNEL_LABELS
from services.notify.handlers.context import NotifyContext
from services.notify.handlers.notifying import emit, record_notification
from shared.clock import as_utc
from shared.db.uow import UnitOfWork
from shared.events.notification import DeliveryFailed
from shared.logging import get_logger

log = get_logger(__name__)

BATCH = 20


class Sender(Protocol):
    async def send(self, item: Outgoing) -> str: ...


class DeliveryWorker:
    def __init__(self, ctx: NotifyContext, unit_of_work: Callable[[], UnitOfWork], senders: dict[str, Sender]) -> None:
        self.ctx = ctx
        self.unit_of_work = unit_of_work
        self.senders = senders
        self.options = ctx.options
        # Attempts this process made, by (channel, outcome: delivered | retrying | failed).
        self.attempts: Counter[tuple[str, str]] = Counter()

    async def run_once(self) -> int:
        uow = self.unit_of_work()
        async with uow:
            due = await DeliveryRepository(uow.db).due_ids(uow.clock.now(), BATCH)
        handled = 0
        for delivery_id in due:
            if await self.deliver(delivery_id):
                handled += 1
        return handled

    async def claim(self, delivery_id: str) -> Any:
        uow = self.unit_of_work()
        async with uow:
            repo = DeliveryRepository(uow.db)
            if not await repo.claim(
                delivery_id, self.ctx.worker, uow.clock.now(), timedelta(seconds=self.options.delivery_claim_s)
            ):
                return None
            row = await repo.with_notification(delivery_id)
            await uow.commit()
            return row

    async def deliver(self, delivery_id: str) -> bool:
        row = await self.claim(delivery_id)
        if row is None:
            return False  # another replica has it
        item = Outgoing(
            delivery_id=row.id,
            notification_id=row.notification_id,
            channel=row.channel,
            target=row.target,
            kind=row.kind,
            recipient_role=row.recipient_role,
            recipient_scope=row.recipient_scope,
            title=row.title,
            body=row.body,
            referral_id=row.referral_id,
            created_at=as_utc(row.notification_created_at),
        )
        started = self.unit_of_work().clock.now()
        error: DeliveryError | None = None
        detail = ""
        sender = self.senders.get(row.channel)
        try:
            if sender is None:
                raise DeliveryError(f"未対応のチャネルです: {row.channel}", permanent=True)
            detail = await sender.send(item)
        except DeliveryError as exc:
            error = exc
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a sender bug is still a failed attempt, recorded
            error = DeliveryError(f"{type(exc).__name__}: {exc}")
        await self.record(row, started, error, detail)
        return True

    async def record(self, row: Any, started: Any, error: DeliveryError | None, detail: str) -> None:
        attempt = row.attempts + 1
        uow = self.unit_of_work()
        async with uow:
            repo = DeliveryRepository(uow.db)
            now = uow.clock.now()
            await repo.record_attempt(
                {
                    "delivery_id": row.id,
                    "attempt": attempt,
                    "worker": self.ctx.worker,
                    "started_at": started,
                    "finished_at": now,
                    "ok": error is None,
                    "detail": str(error)[:1000] if error else detail[:1000],
                }
            )
            outcome = "delivered" if error is None else "retrying"
            if error is None:
                await repo.finish(
                    row.id, self.ctx.worker, status="delivered", attempts=attempt, delivered_at=now, last_error=None
                )
                log.info("delivery_sent", delivery_id=row.id, channel=row.channel, attempt=attempt)
            elif error.permanent or attempt >= self.options.delivery_max_attempts:
                outcome = "failed"
                if await repo.finish(
                    row.id,
                    self.ctx.worker,
                    status="failed",
                    attempts=attempt,
                    failed_at=now,
                    last_error=str(error)[:1000],
                ):
                    await self.report_failure(uow, row, attempt, str(error))
            else:
                delay = retry_delay(attempt, self.options.delivery_backoff_s, self.options.delivery_backoff_max_s)
                await repo.finish(
                    row.id, self.ctx.worker, attempts=attempt, next_attempt_at=now + delay, last_error=str(error)[:1000]
                )
                log.warning(
                    "delivery_retry_scheduled",
                    delivery_id=row.id,
                    channel=row.channel,
                    attempt=attempt,
                    retry_in_s=delay.total_seconds(),
                    error=str(error)[:200],
                )
            await uow.commit()
        self.attempts[(row.channel, outcome)] += 1

    async def report_failure(self, uow: UnitOfWork, row: Any, attempts: int, error: str) -> None:
        log.error("delivery_failed", delivery_id=row.id, channel=row.channel, attempts=attempts, error=error[:200])
        failed = emit(
            uow,
            DeliveryFailed(
                notification_id=row.notification_id,
                delivery_id=row.id,
                channel=row.channel,
                attempts=attempts,
                error=error[:500],
                recipient_role=row.recipient_role,
                recipient_scope=row.recipient_scope,
                case_id=row.case_id,
                referral_id=row.referral_id,
            ),
            aggregate_id=row.notification_id,
            case_id=row.case_id,
            correlation_id=row.notification_id,
            causation_id=None,
        )
        recipient = (
            self.ctx.agency_name(row.recipient_scope)
            if row.recipient_role == "agency"
            else f"{row.recipient_role}:{row.recipient_scope}"
        )
        await record_notification(
            uow,
            self.ctx,
            Notice(SUPERVISOR, "delivery_failed"),
            {
                "channel_label": CHANNEL_LABELS.get(row.channel, row.channel),
                "recipient": recipient,
                "notification_title": row.title,
                "attempts": attempts,
                "error": error[:200],
            },
            about_event_id=failed.event_id,
            correlation_id=failed.correlation_id,
            case_id=row.case_id,
            referral_id=row.referral_id,
        )

    async def run(self, interval_s: float) -> None:
        while True:
            try:
                while await self.run_once():
                    pass
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("delivery_worker_retry", error_type=type(exc).__name__, error=str(exc)[:200])
            await asyncio.sleep(interval_s)
