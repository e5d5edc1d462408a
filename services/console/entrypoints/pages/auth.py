"""Signing in, choosing a role, changing one's password, signing out."""

from __future__ import annotations

import asyncio
import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from services.console.domain.accounts import grant_label
from services.console.entrypoints.pages.common import HOME, home_of, page
from services.console.entrypoints.web import (
    PRESESSION_COOKIE,
    SESSION_COOKIE,
    ConsoleDep,
    Person,
    Protected,
    Visitor,
    redirect_response,
    render,
)
from services.console.handlers.signin import change_own_password, choose_grant, sign_in, sign_out
from shared.errors import InvalidInput
from shared.http.app import correlation_id_of

router = APIRouter(include_in_schema=False)

ENDED_MESSAGES = {
    "signed_out": ("success", "サインアウトしました。"),
    "idle": ("info", "しばらく操作がなかったため、サインアウトしました。もう一度サインインしてください。"),
    "disabled": ("error", "このアカウントは利用停止されています。管理者に連絡してください。"),
    "grants_changed": ("info", "権限が変更されたため、サインアウトしました。もう一度サインインしてください。"),
    "password_reset": (
        "info",
        "パスワードが再設定されたため、サインアウトしました。新しいパスワードでサインインしてください。",
    ),
    "locked": (
        "error",
        "コードの誤りが続いたため、このアカウントIDでは一時的にサインインできません。しばらくたってから、もう一度お試しください。",
    ),
}
FAILED = "アカウントIDまたはパスワードが正しくありません。"


@router.get("/")
async def home(request: Request, who: Visitor) -> Response:
    return redirect_response(request, home_of(who) if who else "/signin")


async def _signin_page(
    request: Request,
    *,
    account_id: str = "",
    error: str | None = None,
    status: int = 200,
    flash: tuple[str, str] | None = None,
) -> Response:
    presession = request.cookies.get(PRESESSION_COOKIE) or secrets.token_urlsafe(32)
    flashes = [{"kind": flash[0], "title": flash[1], "body": None}] if flash else []
    context = await page(
        request, None, "サインイン", flashes=flashes, account_id=account_id, error=error, presession=presession
    )
    response = render(request, "signin.html", context, status=status)
    console = request.app.state.console
    response.set_cookie(
        PRESESSION_COOKIE, presession, httponly=True, samesite="strict", secure=console.secure_cookies, path="/signin"
    )
    return response


@router.get("/signin")
async def signin_form(request: Request, who: Visitor, ended: str | None = None) -> Response:
    if who is not None:
        return redirect_response(request, home_of(who))
    return await _signin_page(
        request,
        flash=ENDED_MESSAGES.get(ended or "")
        or (("info", "もう一度サインインしてください。") if getattr(request.state, "session_ended", None) else None),
    )


@router.post("/signin")
async def signin(
    request: Request,
    console: ConsoleDep,
    account_id: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    cookie = request.cookies.get(PRESESSION_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie, csrf_token):
        return await _signin_page(
            request,
            account_id=account_id,
            status=400,
            error="画面の有効期限が切れました。もう一度サインインしてください。",
        )
    if not account_id.strip() or not password:
        return await _signin_page(
            request, account_id=account_id, status=422, error="アカウントIDとパスワードを入力してください。"
        )
    result = await sign_in(
        console.runtime.unit_of_work, console.lockout, account_id, password, console.settings.second_factor_roles
    )
    console.metrics.signed_in(result.outcome)
    if result.delay_s:
        await asyncio.sleep(result.delay_s)  # each failure makes the next guess slower
    if result.outcome == "locked":
        return await _signin_page(
            request,
            account_id=account_id,
            status=429,
            error=f"サインインの失敗が続いたため、このアカウントIDでは一時的にサインインできません。"
            f"{result.locked_minutes}分ほどたってから、もう一度お試しください。",
        )
    if result.outcome == "failed":
        return await _signin_page(request, account_id=account_id, status=401, error=FAILED)
    if result.outcome == "disabled":
        return await _signin_page(request, account_id=account_id, status=403, error=ENDED_MESSAGES["disabled"][1])
    assert result.secret is not None
    response = redirect_response(request, "/")
    response.set_cookie(
        SESSION_COOKIE, result.secret, httponly=True, samesite="lax", secure=console.secure_cookies, path="/"
    )
    response.delete_cookie(PRESESSION_COOKIE, path="/signin")
    return response


@router.get("/choose")
async def choose_form(request: Request, who: Person, console: ConsoleDep) -> Response:
    options = [{"value": h.id, "text": grant_label(h.grant, console.reference.live)} for h in who.grants]
    context = await page(
        request, who, "役割を選ぶ", options=options, selected=who.chosen.id if who.chosen else None, error=None
    )
    return render(request, "choose.html", context)


@router.post("/choose")
async def choose(
    request: Request, who: Protected, console: ConsoleDep, grant_id: Annotated[str, Form(max_length=40)] = ""
) -> Response:
    try:
        chosen = await choose_grant(console.runtime.unit_of_work, who, grant_id)
    except InvalidInput as exc:
        options = [{"value": h.id, "text": grant_label(h.grant, console.reference.live)} for h in who.grants]
        context = await page(request, who, "役割を選ぶ", options=options, selected=None, error=exc.message)
        return render(request, "choose.html", context, status=422)
    return redirect_response(request, HOME.get(chosen.grant.role, "/"))


@router.get("/password")
async def password_form(request: Request, who: Person) -> Response:
    context = await page(request, who, "パスワードの変更", errors={}, forced=who.must_change_password)
    return render(request, "password.html", context)


@router.post("/password")
async def change_password(
    request: Request,
    who: Protected,
    console: ConsoleDep,
    current_password: Annotated[str, Form(max_length=1000)] = "",
    new_password: Annotated[str, Form(max_length=1000)] = "",
    confirm_password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    errors: dict[str, str] = {}
    if new_password != confirm_password:
        errors["confirm_password"] = "確認のために、同じパスワードをもう一度入力してください。"
    else:
        try:
            await change_own_password(console.runtime.unit_of_work, who, current_password, new_password)
        except InvalidInput as exc:
            errors[exc.field or "new_password"] = exc.message
    if errors:
        context = await page(request, who, "パスワードの変更", errors=errors, forced=who.must_change_password)
        return render(request, "password.html", context, status=422)
    return redirect_response(request, f"{home_of(who)}?notice=password_changed")


@router.post("/signout")
async def signout(request: Request, who: Protected, console: ConsoleDep) -> Response:
    await sign_out(console.runtime.unit_of_work, who, console.token_ttl, correlation_id_of(request))
    return redirect_response(request, "/signin?ended=signed_out", forget_session=True)
