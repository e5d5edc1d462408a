"""The operator's endpoints — ``/metrics`` and the API's documents (``/docs``, ``/redoc``,
``/openapi.json``, ``/asyncapi``) — and the docs pages' assets, served by the service
itself (vendored under ``static/vendor`` with their licences and versions), so the pages
work offline and load nothing from a CDN (ReDoc's attribution logo, the one remote URL in
its bundle, is blocked by the docs pages' Content-Security-Policy). Vendored rather than
a PyPI package that ships them (fastapi-offline): that one replaces FastAPI's class and
its own open routes, where these must sit behind ``operator_only``.

In embedded and test mode they are open. In production they answer only a request with
``Authorization: Bearer <TSUNAGI_OPERATOR_TOKEN>`` (compared in constant time); without
that setting they are refused, unless ``TSUNAGI_OPERATOR_ENDPOINTS_OPEN`` says the
services are bound to the operator's network only."""

from __future__ import annotations

import hmac
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from shared.http.errors import Problem
from shared.metrics import CONTENT_TYPE, ServiceMetrics
from shared.settings import Settings

VENDOR = Path(__file__).with_name("static") / "vendor"
ASSETS = "/static/apidocs"


async def operator_only(request: Request) -> None:
    """A dependency: in production, the operator's token (or an open bind the operator
    chose). Async: FastAPI runs a plain def in a worker thread."""
    settings: Settings = request.app.state.settings
    if settings.mode != "production" or settings.operator_endpoints_open:
        return
    if settings.operator_token is None:
        raise Problem(
            403,
            "公開していません",
            "本番環境では、運用者トークン(TSUNAGI_OPERATOR_TOKEN)を設定した場合だけ応答します。",
            type_="forbidden",
        )
    scheme, _, sent = request.headers.get("authorization", "").partition(" ")
    expected = settings.operator_token.get_secret_value().encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(sent.strip().encode("utf-8", "replace"), expected):
        raise Problem(
            401,
            "認証エラー",
            "運用者トークン(Authorization: Bearer)が必要です。",
            type_="unauthorized",
            headers={"WWW-Authenticate": "Bearer"},
        )


OperatorOnly = Depends(operator_only)


def operator_headers(settings: Settings) -> dict[str, str]:
    """What a caller of another service's /metrics sends (the console's operations page)."""
    token = settings.operator_token
    return {"authorization": f"Bearer {token.get_secret_value()}"} if token is not None else {}


def add_api_docs(app: FastAPI, title: str) -> None:
    """``/openapi.json``, ``/docs`` (Swagger UI) and ``/redoc`` behind ``operator_only``;
    ``create_api`` turns FastAPI's own (open, CDN-loading) routes off."""
    app.mount(ASSETS, StaticFiles(directory=VENDOR), name="apidocs")

    @app.get("/openapi.json", include_in_schema=False, dependencies=[OperatorOnly])
    async def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False, dependencies=[OperatorOnly])
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{title} — API",
            swagger_js_url=f"{ASSETS}/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/swagger-ui/favicon-32x32.png",
            # No badge fetched from the public validator.
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get("/redoc", include_in_schema=False, dependencies=[OperatorOnly])
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url="/openapi.json",
            title=f"{title} — API",
            redoc_js_url=f"{ASSETS}/redoc/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS}/swagger-ui/favicon-32x32.png",
            with_google_fonts=False,
        )


def add_metrics(app: FastAPI, metrics: ServiceMetrics) -> None:
    """``GET /metrics``: this process's registry in Prometheus text format."""

    @app.get(
        "/metrics",
        tags=["ops"],
        response_class=Response,
        summary="Prometheus metrics (counts only)",
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
        dependencies=[OperatorOnly],
    )
    async def prometheus_metrics() -> Response:
        return Response(await metrics.scrape(), media_type=CONTENT_TYPE)
