"""Errors as pages: a person in a browser gets a Japanese page that says what happened
and what to do next, never JSON and never a traceback. The API-style handlers of
``create_api`` stay for the console's few machine endpoints (/health, /metrics)."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.console.adapters.backend import ApiError, ServiceUnavailable
from services.console.entrypoints.web import PageError, Redirect, redirect_response, render
from shared.errors import DomainError
from shared.http.errors import Problem, is_unavailable
from shared.logging import get_logger

log = get_logger(__name__)

KNOWN = (400, 403, 404, 405, 409, 413, 422, 429, 500, 503)

ApiHandler = Callable[[Request, Any], Response | Awaitable[Response]]  # as FastAPI keeps them


def _page(request: Request, status: int, title: str | None = None, detail: str | None = None) -> Response:
    """The error page (``errors/error.html`` words each status; ``title`` and ``detail``
    say what happened here)."""
    headers = {"Retry-After": "5"} if status == 503 else None
    context: dict[str, Any] = {
        "status_code": status,
        "title": title,
        "message": detail,
        "request_id": getattr(request.state, "correlation_id", None),
        "user": None,
        "nav": [],
        "flashes": [],
        "sample": False,
        "csrf_token": None,
    }
    return render(request, "errors/error.html", context, status=status, headers=headers)


def _is_page(request: Request) -> bool:
    return not request.url.path.startswith(("/v1/", "/health", "/ready", "/metrics"))


async def _api_answer(api_handler: ApiHandler, request: Request, exc: Exception) -> Response:
    """The API handler's response (``create_api``'s are coroutines; Starlette allows plain functions too)."""
    response = api_handler(request, exc)
    return await response if inspect.isawaitable(response) else response


def install(app: FastAPI) -> None:
    api_http_handler = app.exception_handlers.get(StarletteHTTPException)
    api_validation_handler = app.exception_handlers.get(RequestValidationError)

    @app.exception_handler(Redirect)
    async def _redirect(request: Request, exc: Redirect) -> Response:
        return redirect_response(request, exc.url, forget_session=exc.forget_session)

    @app.exception_handler(PageError)
    async def _page_error(request: Request, exc: PageError) -> Response:
        return _page(request, exc.status, exc.title, exc.detail)

    @app.exception_handler(ServiceUnavailable)
    async def _unavailable(request: Request, exc: ServiceUnavailable) -> Response:
        log.warning("backend_unavailable", service=exc.service)
        return _page(request, 503)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        # A page that did not expect the service's refusal shows it as it came.
        status = exc.status if exc.status in KNOWN else 400
        return _page(request, status, detail=exc.detail if status != 404 else None)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if not _is_page(request) and api_http_handler is not None:
            return await _api_answer(api_http_handler, request, exc)
        return _page(request, exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if not _is_page(request) and api_validation_handler is not None:
            return await _api_answer(api_validation_handler, request, exc)
        return _page(request, 400)

    # The rest (a refusal from the console's own rules, a bug, its database unreachable):
    # a page for a person, the API's problem details for a machine.
    mine = (StarletteHTTPException, RequestValidationError, Redirect, PageError, ServiceUnavailable, ApiError)
    for exc_class, api_handler in list(app.exception_handlers.items()):
        if isinstance(exc_class, type) and issubclass(exc_class, Exception) and exc_class not in mine:
            app.add_exception_handler(exc_class, _as_page(api_handler))


def _as_page(api_handler: ApiHandler) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handler(request: Request, exc: Exception) -> Response:
        if not _is_page(request):
            return await _api_answer(api_handler, request, exc)
        if isinstance(exc, DomainError):
            return _page(request, exc.status if exc.status in KNOWN else 400, detail=exc.message)
        if isinstance(exc, Problem):
            return _page(request, exc.status if exc.status in KNOWN else 400, detail=exc.detail)
        if is_unavailable(exc):
            log.warning("dependency_unavailable", path=request.url.path, error_type=type(exc).__name__)
            return _page(request, 503)
        log.exception("page_failed", path=request.url.path, error_type=type(exc).__name__)
        return _page(request, 500)

    return handler
