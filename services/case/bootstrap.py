"""The case service's composition root: builds the app from Settings."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from functools import partial

from fastapi import FastAPI

from services.case.adapters.chain import CaseUnitOfWork, TimelineChain
from services.case.adapters.chain_key import timeline_key
from services.case.adapters.figure_projection import FigureProjection
from services.case.adapters.orm import access, idempotency, messaging, metadata
from services.case.domain.matching import MatchKeys
from services.case.entrypoints import approvals_api, community_api
from services.case.entrypoints.activities_api import router as activities_router
from services.case.entrypoints.api import router as read_router
from services.case.entrypoints.commands_api import many_router as many_command_router
from services.case.entrypoints.commands_api import router as command_router
from services.case.entrypoints.conferences_api import router as conferences_router
from services.case.entrypoints.consumers import make_event_handlers
from services.case.entrypoints.dependencies import CaseServices
from services.case.entrypoints.helper_api import router as helper_router
from services.case.entrypoints.member_needs_api import router as member_needs_router
from services.case.entrypoints.schedule import RetentionSchedule
from services.case.entrypoints.warm_up import warm_up_figures
from services.case.entrypoints.watch_api import router as watch_router
from shared.clock import Clock
from shared.http.app import add_reference_reload, create_api
from shared.http.asyncapi import add_asyncapi
from shared.http.guards import add_write_guards
from shared.reference import ReloadableReference
from shared.runtime import ServiceRuntime
from shared.settings import Settings

SERVICE = "case"


def build_app(settings: Settings, clock: Clock | None = None) -> FastAPI:
    reference = ReloadableReference(settings.reference_dir)
    keys = MatchKeys(settings.match_key.get_secret_value().encode())
    chain = TimelineChain(timeline_key(settings))
    # case.* events, and referral.requested (a coordinator decides a referral here).
    runtime = ServiceRuntime(
        service=SERVICE,
        settings=settings,
        metadata=metadata,
        tables=messaging,
        handlers=make_event_handlers(reference.live, keys),
        publishes=("case", "referral"),
        clock=clock,
        access_tables=access,
        reference=reference.live,
        unit_of_work=partial(CaseUnitOfWork, chain=chain, figures=FigureProjection()),
    )
    schedule = RetentionSchedule(
        runtime.unit_of_work, reference.live, runtime.redis, only_when=lambda: runtime.relay.is_leader
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime.lifespan(app):
            if settings.warm_up_figures:
                await warm_up_figures(runtime.read_unit_of_work, reference.current)
            if not settings.retention_interval_s:
                yield
                return
            task = asyncio.create_task(schedule.run(settings.retention_interval_s), name="case-retention")
            try:
                yield
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app = create_api(
        service=SERVICE,
        title="Tsunagi case (ケース管理)",
        description="Coordinators' area queues, cases and households, referrals and the timeline; "
        "PDCA figures for supervisors.",
        settings=settings,
        lifespan=lifespan,
        ready_check=runtime.readiness,
        tokens=runtime.tokens,
        metrics=runtime.metrics,
        tracing=runtime.tracing,
    )
    app.state.services = CaseServices(runtime=runtime, reference=reference, match_keys=keys, chain=chain)
    add_write_guards(app, runtime, idempotency)
    add_asyncapi(app, SERVICE, runtime.consumer.handlers)
    add_reference_reload(app, app.state.services.reference)
    app.include_router(read_router)
    app.include_router(command_router)
    app.include_router(many_command_router)
    app.include_router(watch_router)
    for router in (
        helper_router,
        approvals_api.case_router,
        approvals_api.router,
        community_api.case_router,
        community_api.router,
        community_api.counts_router,
        conferences_router,
        member_needs_router,
        activities_router,
    ):
        app.include_router(router)
    return app
