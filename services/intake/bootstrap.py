"""Intake's composition root: builds the app from Settings."""

from __future__ import annotations

from fastapi import FastAPI

from services.intake.adapters.orm import access, messaging, metadata
from services.intake.entrypoints.api import router
from services.intake.entrypoints.consumers import event_handlers
from services.intake.entrypoints.dependencies import IntakeServices
from services.intake.entrypoints.options import router as options_router
from shared.clock import Clock
from shared.http.app import add_reference_reload, create_api
from shared.http.asyncapi import add_asyncapi
from shared.reference import ReloadableReference
from shared.runtime import ServiceRuntime
from shared.settings import Settings

SERVICE = "intake"


def build_app(settings: Settings, clock: Clock | None = None) -> FastAPI:
    reference = ReloadableReference(settings.reference_dir)
    runtime = ServiceRuntime(
        service=SERVICE,
        settings=settings,
        metadata=metadata,
        tables=messaging,
        handlers=event_handlers,
        publishes=("consultation",),
        clock=clock,
        access_tables=access,
        reference=reference.live,
    )
    app = create_api(
        service=SERVICE,
        title="Tsunagi intake (相談受付)",
        description="Reporters raise consultations and check their status by reference number.",
        settings=settings,
        lifespan=runtime.lifespan,
        ready_check=runtime.readiness,
        tokens=runtime.tokens,
        metrics=runtime.metrics,
        tracing=runtime.tracing,
    )
    app.state.services = IntakeServices(runtime=runtime, reference=reference)
    add_asyncapi(app, SERVICE, runtime.consumer.handlers)
    add_reference_reload(app, app.state.services.reference)
    app.include_router(router)
    app.include_router(options_router)
    return app
