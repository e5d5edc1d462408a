"""The console's composition root: builds the app from Settings.

The console is the web front end (つなぎの机): server-rendered Japanese pages for every
role, one sign-in, and short-lived API tokens for the signed-in person. It reads and
writes case work only through the four services' HTTP APIs; its own database holds
accounts and sessions, and its outbox publishes ``account.*`` and ``session.ended``."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from services.console.adapters.backend import Backend, TokenMint
from services.console.adapters.orm import messaging, metadata
from services.console.adapters.totp import SecretBox
from services.console.domain.signin import LockoutPolicy
from services.console.entrypoints import errors
from services.console.entrypoints.consumers import event_handlers
from services.console.entrypoints.metrics import ConsoleMetrics
from services.console.entrypoints.pages import ROUTERS
from services.console.entrypoints.web import CSP, STATIC, Console, ServerTiming, make_templates
from shared.clock import Clock
from shared.http.app import add_reference_reload, create_api
from shared.http.asyncapi import add_asyncapi
from shared.reference import ReloadableReference
from shared.runtime import ServiceRuntime
from shared.settings import Settings
from shared.signing import ensure_key_pair, load_signing_key

SERVICE = "console"


def build_app(settings: Settings, clock: Clock | None = None) -> FastAPI:
    ensure_key_pair(settings)  # embedded and test mode: the console owns its key pair
    reference = ReloadableReference(settings.reference_dir)
    runtime = ServiceRuntime(
        service=SERVICE,
        settings=settings,
        metadata=metadata,
        tables=messaging,
        handlers=event_handlers,
        publishes=("account", "session"),
        clock=clock,
        reference=reference.live,
    )
    mint = TokenMint(load_signing_key(settings), runtime.clock, timedelta(seconds=settings.console_token_ttl_s))
    backend = Backend(settings, mint)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime.lifespan(app):
            try:
                yield
            finally:
                await backend.aclose()

    app = create_api(
        service=SERVICE,
        title="Tsunagi console (つなぎの机)",
        description="The web pages every person works in.",
        settings=settings,
        lifespan=lifespan,
        ready_check=runtime.readiness,
        tokens=runtime.tokens,
        api_docs=False,
        content_security_policy=CSP,
        metrics=runtime.metrics,
        tracing=runtime.tracing,
    )
    app.state.console = Console(
        settings=settings,
        runtime=runtime,
        reference=reference,
        backend=backend,
        templates=make_templates(),
        lockout=LockoutPolicy(
            attempts=settings.console_lockout_attempts, lock_for=timedelta(minutes=settings.console_lockout_minutes)
        ),
        metrics=ConsoleMetrics(
            runtime.metrics, runtime.unit_of_work, timedelta(minutes=settings.console_idle_timeout_minutes)
        ),
        secret_box=SecretBox(settings.secret_key.get_secret_value()),
    )
    app.state.services = app.state.console  # its .runtime: what tests and `tsunagi check` look for
    add_asyncapi(app, SERVICE, runtime.consumer.handlers)
    errors.install(app)
    app.add_middleware(ServerTiming)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    add_reference_reload(app, reference)
    for router in ROUTERS:
        app.include_router(router)
    return app
