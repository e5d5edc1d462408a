"""Notify's composition root: builds the app from Settings (plus ``TSUNAGI_NOTIFY_*``).
Besides the shared runtime (consumers, relay, reclaim) it runs two loops of its own:
the follow-up timer and the channel delivery worker."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from services.notify.adapters.channels.email import EmailSender
from services.notify.adapters.channels.webhook import WebhookSender
from services.notify.adapters.orm import access, messaging, metadata
from services.notify.entrypoints.api import router
from services.notify.entrypoints.consumers import event_handlers
from services.notify.entrypoints.dependencies import NotifyServices
from services.notify.entrypoints.metrics import watch_notify
from services.notify.entrypoints.timer import FollowupTimer
from services.notify.handlers.context import NotifyContext, load_templates
from services.notify.handlers.deliveries import DeliveryWorker
from services.notify.settings import NotifySettings
from shared.calendar import load_holidays
from shared.clock import Clock
from shared.http.app import add_reference_reload, create_api
from shared.http.asyncapi import add_asyncapi
from shared.logging import get_logger
from shared.reference import ReloadableReference
from shared.runtime import ServiceRuntime
from shared.settings import Settings

SERVICE = "notify"
log = get_logger(__name__)


def build_app(settings: Settings, clock: Clock | None = None, options: NotifySettings | None = None) -> FastAPI:
    options = options or NotifySettings()
    options.check_for(settings.mode)
    clock = clock or Clock.from_settings(settings)
    # The follow-up policy is part of the reference data (a reload reloads it);
    # TSUNAGI_NOTIFY_FOLLOWUP_POLICY swaps in another file, checked and reloaded the same way.
    reference = ReloadableReference(settings.reference_dir, followups_file=options.followup_policy)
    load_holidays()  # not in the first referral's event
    worker_name = settings.unique_consumer_name(SERVICE)
    context = NotifyContext(reference=reference.live, templates=load_templates(), options=options, worker=worker_name)
    runtime = ServiceRuntime(
        service=SERVICE,
        settings=settings,
        metadata=metadata,
        tables=messaging,
        handlers=event_handlers(context),
        publishes=("notification", "followup"),
        clock=clock,
        access_tables=access,
        reference=reference.live,
    )
    services = NotifyServices(
        runtime=runtime,
        context=context,
        timer=FollowupTimer(context, runtime.unit_of_work),
        worker=DeliveryWorker(
            context, runtime.unit_of_work, {"email": EmailSender(options), "webhook": WebhookSender(options, clock)}
        ),
    )
    watch_notify(runtime.metrics, runtime.unit_of_work, services.timer, services.worker)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime.lifespan(app):
            await services.start_loops()
            try:
                yield
            finally:
                await services.stop_loops()

    app = create_api(
        service=SERVICE,
        title="Tsunagi notify (通知・フォローアップ)",
        description="Notifications to every party, channel deliveries, and business-day "
        "follow-ups of every referral until the agency has taken it up.",
        settings=settings,
        lifespan=lifespan,
        ready_check=runtime.readiness,
        tokens=runtime.tokens,
        metrics=runtime.metrics,
        tracing=runtime.tracing,
    )
    app.state.services = services
    add_asyncapi(app, SERVICE, runtime.consumer.handlers)
    add_reference_reload(app, reference)
    app.include_router(router)
    return app
