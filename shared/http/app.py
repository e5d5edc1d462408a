"""What every service's HTTP app has: problem-details errors, a body-size limit,
a correlation id per request, security headers, /health, /ready, /metrics and the API
docs (the last two the operator's: ``operator.py``)."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, TypeVar

import structlog
from fastapi import FastAPI, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.http.errors import Problem, install_error_handlers, problem_response
from shared.http.headers import API_CSP, SecurityHeaders
from shared.http.operator import add_api_docs, add_metrics
from shared.http.text import MESSAGE_JA, control_character_field
from shared.identity import CurrentIdentity, TokenVerifier, require_role
from shared.logging import get_logger
from shared.metrics import ServiceMetrics
from shared.reference import ReferenceDataError
from shared.settings import Settings

if TYPE_CHECKING:
    from shared.tracing.setup import Tracing

log = get_logger(__name__)

CORRELATION_HEADER = "x-correlation-id"
# What a client's correlation id may hold: visible ASCII only (it goes into the logs).
_CORRELATION_ID = re.compile(r"[\x21-\x7e]{1,64}")


class BodyLimitMiddleware:
    """Refuses bodies over the limit with 413, whether or not Content-Length is sent."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = Problem(
            413, "リクエストが大きすぎます", f"本文は {self.max_bytes} バイトまでです。", type_="too-large"
        )
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


class UrlTextMiddleware:
    """Refuses a path or query holding a control character (NUL, ...) with a 422 naming
    where: such a value never reaches a handler or the database (PostgreSQL refuses NUL)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            loc = control_character_field(scope.get("path", ""), scope.get("query_string", b""))
            if loc is not None:
                where = "URL のパス" if loc == ["path"] else loc[1]
                await problem_response(
                    Problem(
                        422,
                        "入力内容に誤りがあります",
                        f"次の項目を確認してください: {where}",
                        type_="validation",
                        errors=[{"loc": loc, "msg": MESSAGE_JA, "type": "control_character"}],
                    )
                )(scope, receive, send)
                return
        await self.app(scope, receive, send)


def client_correlation_id(raw: bytes | None) -> str | None:
    """The client's correlation id, if usable. A malformed one (not ASCII, control or
    space characters) is dropped: it is tracing metadata, and refusing a request over it
    would lose a consultation for no fault in its content."""
    if not raw:
        return None
    text = raw[:64].decode("latin-1")
    return text if _CORRELATION_ID.fullmatch(text) else None


class CorrelationMiddleware:
    """Makes each request's correlation id (the one its events, audit lines and logs
    carry, and the response's ``X-Correlation-Id``): always the server's own, so no client
    chooses what is stored. A client's id, if well-formed, is logged beside it as
    ``client_correlation_id`` to join the two sides' logs. Logs and measures each request
    once it is answered."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics | None = None) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(CORRELATION_HEADER.encode())
        from_client = client_correlation_id(incoming)
        if incoming and from_client is None:
            log.warning("client_correlation_id_ignored", reason="malformed")
        correlation_id = uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["correlation_id"] = correlation_id
        state["client_correlation_id"] = from_client

        status = 500
        started = time.perf_counter()
        root_path = scope.get("root_path", "")

        async def send_with_header(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((CORRELATION_HEADER.encode(), correlation_id.encode()))
            await send(message)

        bound = {"correlation_id": correlation_id}
        if from_client is not None:
            bound["client_correlation_id"] = from_client
        with structlog.contextvars.bound_contextvars(**bound):
            try:
                await self.app(scope, receive, send_with_header)
            finally:
                seconds = time.perf_counter() - started
                route = route_template(scope, root_path)
                if self.metrics is not None:
                    self.metrics.observe_request(scope.get("method", ""), route, status, seconds)
                if scope.get("path") not in ("/health", "/ready"):
                    log.info(
                        "http_request",
                        method=scope.get("method"),
                        route=route,
                        status=status,
                        duration_ms=round(seconds * 1000, 1),
                    )


def route_template(scope: Scope, root_path: str) -> str:
    """The route template, not the path: paths can hold reference numbers. A mount
    (static files) sets no route, only its prefix on the ASGI ``root_path``."""
    route = getattr(scope.get("route"), "path", None)
    if route:
        return str(route)
    mounted = scope.get("root_path", "")[len(root_path) :]
    return f"{mounted}/{{path}}" if mounted else "unmatched"


ReadyCheck = Callable[[], Awaitable[dict[str, Any]]]
T = TypeVar("T")

# For `responses=` of a route answering CSV when asked (format=csv): the OpenAPI document says so.
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "JSON, or CSV (format=csv)"}
}


def create_api(
    *,
    service: str,
    title: str,
    description: str,
    settings: Settings,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]],
    ready_check: ReadyCheck | None = None,
    tokens: TokenVerifier | None = None,
    api_docs: bool = True,
    metrics: ServiceMetrics | None = None,
    tracing: Tracing | None = None,
    content_security_policy: str = API_CSP,
) -> FastAPI:
    """``tokens`` reads each request's bearer token (the runtime's, which knows what the
    console has revoked; by default one that checks signatures and times only).
    ``metrics``: the registry /metrics serves (the runtime's; by default HTTP figures only).
    ``api_docs=False``: no /docs or /openapi.json (the console's pages are not an API).
    ``tracing``: the runtime's, when it traces (a server span per request).
    ``content_security_policy``: of every answer but the docs pages (the console's pages' own)."""
    app = FastAPI(
        title=title,
        description=description,
        version="1",
        lifespan=lifespan,
        # Ours instead (add_api_docs): offline, and the operator's in production.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        responses={"4XX": {"description": "Problem details (RFC 9457)", "content": {"application/problem+json": {}}}},
    )
    app.state.settings = settings
    app.state.service = service
    app.state.tokens = tokens or TokenVerifier(settings)
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(UrlTextMiddleware)
    metrics = metrics or ServiceMetrics(service)
    app.add_middleware(CorrelationMiddleware, metrics=metrics)
    # Outermost: the body-limit and URL refusals carry the headers too.
    app.add_middleware(SecurityHeaders, csp=content_security_policy)
    add_metrics(app, metrics)
    if api_docs:
        add_api_docs(app, title)
    if tracing is not None:
        tracing.instrument_app(app)

    @app.get("/health", tags=["ops"])
    async def health() -> dict[str, str]:
        return {"status": "ok", "service": service}

    @app.get("/ready", tags=["ops"])
    async def ready() -> Any:
        detail = await ready_check() if ready_check else {}
        if detail.get("ready", True) is False:
            raise Problem(
                503,
                "準備中",
                "依存先に接続できません。",
                type_="not-ready",
                headers={"Retry-After": "2"},
                checks=detail,
            )
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
            raise Problem(
                422,
                "参照データに誤りがあります",
                "参照データを読み込めませんでした。現在のデータを使い続けます。",
                type_="reference-data",
                errors=[{"loc": ["reference"], "msg": str(exc), "type": "reference-data"}],
            ) from exc
        log.info("reference_reloaded", generation=reference.generation)
        return {
            "status": "reloaded",
            "service": app.state.service,
            "generation": reference.generation,
            "sample": data.sample,
            "school_districts": len(data.school_districts),
            "agencies": len(data.agencies),
        }


def services_of(kind: type[T]) -> Callable[[Request], Awaitable[T]]:
    """A FastAPI dependency giving a route its service's parts (``app.state.services``, set
    by the service's ``build_app``), typed: ``Annotated[CaseServices, Depends(services_of(CaseServices))]``."""

    async def services(request: Request) -> T:  # async: FastAPI runs a plain def in a worker thread
        found = request.app.state.services
        if not isinstance(found, kind):
            raise TypeError(f"app.state.services is {type(found).__name__}, not {kind.__name__}")
        return found

    return services
