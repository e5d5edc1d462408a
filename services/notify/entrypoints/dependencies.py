"""What notify's routes are given (``Services``): its runtime, handler context and its
two loops (the follow-up timer, the delivery worker), built once by ``bootstrap``."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends

from services.notify.entrypoints.timer import FollowupTimer
from services.notify.handlers.context import NotifyContext
from services.notify.handlers.deliveries import DeliveryWorker
from shared.http.app import services_of
from shared.logging import get_logger
from shared.runtime import ServiceRuntime, cancel_until_done

log = get_logger(__name__)


@dataclass
class NotifyServices:
    runtime: ServiceRuntime
    context: NotifyContext
    timer: FollowupTimer
    worker: DeliveryWorker
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    @property
    def reference(self) -> Any:
        return self.context.reference

    async def start_loops(self) -> None:
        options = self.context.options
        self.tasks = [
            asyncio.create_task(self.timer.run(options.followup_interval_s), name="notify-followup-timer"),
            asyncio.create_task(self.worker.run(options.delivery_interval_s), name="notify-delivery-worker"),
        ]

    async def stop_loops(self) -> None:
        await cancel_until_done(self.tasks)
        for task in self.tasks:
            if not task.cancelled() and task.exception() is not None:
                log.error("notify_loop_crashed", task=task.get_name(), error=str(task.exception())[:200])
        self.tasks.clear()


Services = Annotated[NotifyServices, Depends(services_of(NotifyServices))]
