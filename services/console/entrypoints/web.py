"""What every console page shares: the console's parts, the signed-in person (from the
session cookie), CSRF protection, security headers and rendering a template."""

from __future__ import annotations

import hmac
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.console.adapters.backend import Backend, CallTimes, call_times
from services.console.adapters.totp import SecretBox
from services.console.domain.signin import LockoutPolicy
from services.console.entrypoints import formatting
from services.console.entrypoints.metrics import ConsoleMetrics
from services.console.handlers.signin import Ended, SignedIn, current_session
from shared.reference import ReloadableReference
from shared.runtime import ServiceRuntime
from shared.settings import Settings

SESSION_COOKIE = "tsunagi_session"
# Before signing in there is no session to hold a CSRF token: a random cookie and the
# same value in the form (double submit) protect the sign-in form itself.
PRESESSION_COOKIE = "tsunagi_presession"
# Sent by requests the page makes on its own (polling): they are not the person's activity.
BACKGROUND_HEADER = "x-tsunagi-background"

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
)


@dataclass
class Console:
    settings: Settings
    runtime: ServiceRuntime
    reference: ReloadableReference
    backend: Backend
    templates: Jinja2Templates
    lockout: LockoutPolicy
    metrics: ConsoleMetrics
    secret_box: SecretBox

    @property
    def token_ttl(self) -> timedelta:
        return timedelta(seconds=self.settings.console_token_ttl_s)

    @property
    def idle_timeout(self) -> timedelta:
        return timedelta(minutes=self.settings.console_idle_timeout_minutes)

    @property
    def secure_cookies(self) -> bool:
        return self.settings.mode == "production"


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    env = templates.env
    env.autoescape = True
    env.filters.update(formatting.FILTERS)
    return templates


def console_of(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


async def _console(request: Request) -> Console:  # async: FastAPI runs a plain def in a worker thread
    return console_of(request)


ConsoleDep = Annotated[Console, Depends(_console)]


class Redirect(Exception):
    """Answer with a redirect (for an htmx request: ``HX-Redirect``, a full navigation);
    ``forget_session``: the cookie names a session that is over, so it goes too."""

    def __init__(self, url: str, *, forget_session: bool = False) -> None:
        super().__init__(url)
        self.url = url
        self.forget_session = forget_session


def redirect_response(request: Request, url: str, *, forget_session: bool = False) -> Response:
    response: Response
    if request.headers.get("hx-request"):
        response = Response(status_code=204, headers={"HX-Redirect": url})
    else:
        response = RedirectResponse(url, status_code=303)
    if forget_session:
        response.delete_cookie(SESSION_COOKIE, path="/")
    return response


class PageError(Exception):
    """A page-level error shown on the error page (403, 404, 503) in Japanese."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail


async def visitor(request: Request) -> SignedIn | None:
    """The signed-in person, or None. Why a session is over is kept for the sign-in
    page's message (``person`` sends them there)."""
    secret = request.cookies.get(SESSION_COOKIE)
    found: SignedIn | None = None
    request.state.session_ended = None
    if secret:
        console = console_of(request)
        result = await current_session(
            console.runtime.unit_of_work,
            secret,
            idle_timeout=console.idle_timeout,
            token_ttl=console.token_ttl,
            background=request.headers.get(BACKGROUND_HEADER) == "1",
        )
        if isinstance(result, Ended):
            request.state.session_ended = result.reason
        elif result is not None:
            found = result
    return found


Visitor = Annotated[SignedIn | None, Depends(visitor)]


async def person(request: Request, who: Visitor) -> SignedIn:
    """A signed-in person; anyone else is sent to the sign-in page (saying why)."""
    if who is None:
        reason = getattr(request.state, "session_ended", None)
        raise Redirect(f"/signin?ended={reason}" if reason else "/signin", forget_session=reason is not None)
    path = request.url.path
    if who.awaiting == "code" and path not in ("/signin/code", "/signout"):
        raise Redirect("/signin/code")
    if who.awaiting == "enrolment" and path not in ("/two-factor", "/signout"):
        raise Redirect("/two-factor")
    if who.must_change_password and path not in ("/password", "/signout", "/two-factor"):
        raise Redirect("/password")
    return who


Person = Annotated[SignedIn, Depends(person)]


def acting_as(*roles: str, csrf: bool = False) -> Callable[..., Awaitable[SignedIn]]:
    """A dependency: the person must be acting under one of ``roles`` (and, for a request
    that changes something, ``csrf=True``: carry the session's CSRF token)."""

    async def check(request: Request, who: Person) -> SignedIn:
        if csrf:
            await csrf_protected(request, who)
        if who.chosen is None:
            raise Redirect("/choose")
        if who.chosen.grant.role not in roles:
            raise PageError(
                403,
                "このページは表示できません",
                "今の役割ではこのページを使えません。役割を切り替えるか、ホームに戻ってください。",
            )
        return who

    return check


async def csrf_protected(request: Request, who: Person) -> SignedIn:
    """Every form and htmx request that changes something carries the session's token."""
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, who.csrf_token):
        raise PageError(
            403,
            "送信を受け付けられません",
            "フォームの有効期限が切れたか、別の画面から送られました。ページを開き直してからもう一度送信してください。",
        )
    return who


Protected = Annotated[SignedIn, Depends(csrf_protected)]


def render(
    request: Request, template: str, context: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> HTMLResponse:
    console = console_of(request)
    response: HTMLResponse = console.templates.TemplateResponse(
        request, template, context, status_code=status, headers=headers
    )
    return response


class ServerTiming:
    """A Server-Timing header says where each page's time went (the security headers are
    every service's: ``shared/http/headers.py``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        times = CallTimes()
        token = call_times.set(times)
        started = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                total = (time.perf_counter() - started) * 1000
                message.setdefault("headers", []).append(
                    (
                        b"server-timing",
                        f'app;dur={total:.1f}, api;dur={times.seconds * 1000:.1f};desc="{times.calls} calls"'.encode(),
                    )
                )
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            call_times.reset(token)
