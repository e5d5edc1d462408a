"""Referral's composition root: builds the app from Settings."""

from __future__ import annotations

from fastapi import FastAPI

from services.referral.adapters.orm import access, messaging, metadata
from services.referral.entrypoints.agencies_api import router as agencies_router
from services.referral.entrypoints.api import router as referrals_router
from services.referral.entrypoints.consumers import build_event_handlers
from services.referral.entrypoints.dependencies import ReferralServices
from shared.calendar import load_holidays
from shared.clock import Clock
from shared.http.app import add_reference_reload, create_api
from shared.http.asyncapi import add_asyncapi
from shared.reference import ReloadableReference
from shared.runtime import ServiceRuntime
from shared.settings import Settings

SERVICE = "referral"


def build_app(settings: Settings, clock: Clock | None = None) -> FastAPI:
    reference = ReloadableReference(settings.reference_dir)
    load_holidays()  # not in the first referral's event
    runtime = ServiceRuntime(
        service=SERVICE,
        settings=settings,
        metadata=metadata,
        tables=messaging,
        handlers=build_event_handlers(reference.live),
        publishes=("referral",),
        clock=clock,
        access_tables=access,
        reference=reference.live,
    )
    app = create_api(
        service=SERVICE,
        title="Tsunagi referral (紹介・つなぎ)",
        description="Agencies receive referrals in their inbox and acknowledge, accept or "
        "decline them, then report progress and completion; coordinators follow "
        "and cancel them. Lifecycle and FHIR Task mapping: "
        "services/referral/domain/lifecycle.py.",
        settings=settings,
        lifespan=runtime.lifespan,
        ready_check=runtime.readiness,
        tokens=runtime.tokens,
        metrics=runtime.metrics,
        tracing=runtime.tracing,
    )
    app.state.services = ReferralServices(runtime=runtime, reference=reference)
    add_asyncapi(app, SERVICE, runtime.consumer.handlers)
    add_reference_reload(app, app.state.services.reference)
    app.include_router(referrals_router)
    app.include_router(agencies_router)
    return app
