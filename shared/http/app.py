"""What every service's HTTP app has: problem-details errors, a body-size limit,
a correlation id per request, /health and /ready."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import structlog
from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.http.errors import Problem, install_error_handlers, problem_response
from shared.identity import CurrentIdentity, TokenVerifier, require_role
from shared.logging import get_logger
from shared.reference import ReferenceDataError
from shared.settings import Settings

log = get_logger(__name__)

CORRELATION_HEADER = "x-correlation-id"


class BodyLimitMiddleware:
    """Refuses bodies over the limit with 413, whether or not Content-Length is sent."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = Problem(413, "リクエストが大きすぎます",
                            f"本文は {self.max_bytes} バイトまでです。", type_="too-large")
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await problem_response(too_large)(scope, receive, send)
            return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge:
            await problem_response(too_large)(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


class CorrelationMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(CORRELATION_HEADER.encode())
        correlation_id = incoming.decode()[:64] if incoming else uuid.uuid4().hex
        scope.setdefault("state", {})["correlation_id"] = correlation_id

        status = 500
        started = time.perf_counter()

        async def send_with_header(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((CORRELATION_HEADER.encode(), correlation_id.encode()))
            await send(message)

        with structlog.contextvars.bound_contextvars(correlation_id=correlation_id):
            try:
                await self.app(scope, receive, send_with_header)
            finally:
                if scope.get("path") not in ("/health", "/ready"):
                    # The route template, not the path: paths can hold reference numbers.
                    route = scope.get("route")
                    log.info("http_request", method=scope.get("method"),
                             route=getattr(route, "path", None) or "unmatched", status=status,
                             duration_ms=round((time.perf_counter() - started) * 1000, 1))


ReadyCheck = Callable[[], Awaitable[dict[str, Any]]]


def create_api(*, service: str, title: str, description: str, settings: Settings,
               lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]],
               ready_check: ReadyCheck | None = None, tokens: TokenVerifier | None = None,
               api_docs: bool = True) -> FastAPI:
    """``tokens`` reads each request's bearer token (the runtime's, which knows what the
    console has revoked; by default one that checks signatures and times only).
    ``api_docs=False``: no /docs or /openapi.json (the console's pages are not an API)."""
    docs = {} if api_docs else {"docs_url": None, "redoc_url": None, "openapi_url": None}
    app = FastAPI(title=title, description=description, version="1", lifespan=lifespan, **docs,
                  responses={"4XX": {"description": "Problem details (RFC 9457)",
                                     "content": {"application/problem+json": {}}}})
    app.state.settings = settings
    app.state.service = service
    app.state.tokens = tokens or TokenVerifier(settings)
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(CorrelationMiddleware)

    @app.get("/health", tags=["ops"])
    async def health() -> dict[str, str]:
        return {"status": "ok", "service": service}

    @app.get("/ready", tags=["ops"])
    async def ready() -> Any:
        detail = await ready_check() if ready_check else {}
        if detail.get("ready", True) is False:
            raise Problem(503, "準備中", "依存先に接続できません。", type_="not-ready",
                          headers={"Retry-After": "2"}, checks=detail)
        return {"status": "ready", "service": service, **detail}

    return app


def correlation_id_of(request: Any) -> str:
    return getattr(request.state, "correlation_id", None) or uuid.uuid4().hex


def add_reference_reload(app: FastAPI, reference: Any) -> None:
    """``POST /v1/admin/reference/reload`` (supervisor): re-read ``reference/*.yaml``.
    An invalid folder is refused with a 422 naming the file, entry and field; the data
    in use stays as it was."""
    @app.post("/v1/admin/reference/reload", tags=["ops"], summary="参照データの再読み込み (supervisor)")
    async def reload_reference(caller: CurrentIdentity) -> dict[str, Any]:
        require_role(caller, "supervisor")
        try:
            data = reference.reload()
        except ReferenceDataError as exc:
            raise Problem(422, "参照データに誤りがあります", "参照データを読み込めませんでした。現在のデータを使い続けます。",
                          type_="reference-data", errors=[{"loc": ["reference"], "msg": str(exc),
                                                            "type": "reference-data"}]) from exc
        log.info("reference_reloaded", generation=reference.generation)
        return {"status": "reloaded", "service": app.state.service, "generation": reference.generation,
                "sample": data.sample, "school_districts": len(data.school_districts),
                "agencies": len(data.agencies)}


def add_metrics(app: FastAPI, runtime: Any) -> None:
    """``GET /metrics``: the runtime's messaging figures in Prometheus text format."""
    from fastapi.responses import PlainTextResponse

    @app.get("/metrics", tags=["ops"], response_class=PlainTextResponse, summary="Prometheus metrics (counts only)")
    async def metrics() -> str:
        return "\n".join(await runtime.metrics_lines()) + "\n"
