"""The second factor: the sign-in's second step (a code from the app or a recovery
code) and one's own enrolment (QR code, secret as text, confirmation, recovery codes)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from services.console.domain.second_factor import may_enrol, shown
from services.console.entrypoints.pages.common import home_of, page
from services.console.entrypoints.web import ConsoleDep, Person, Protected, redirect_response, render
from services.console.handlers import second_factor
from services.console.handlers.signin import SignedIn
from shared.errors import DomainError

router = APIRouter(include_in_schema=False)

CODE_FAILED = (
    "コードが正しくありません。認証アプリに今表示されている6桁の数字か、未使用のリカバリーコードを入力してください。"
)


async def _code_page(request: Request, who: SignedIn, *, error: str | None = None, status: int = 200) -> Response:
    context = await page(request, None, "2段階認証", error=error, csrf_token=who.csrf_token)
    return render(request, "signin_code.html", context, status=status)


@router.get("/signin/code")
async def code_form(request: Request, who: Person) -> Response:
    if who.awaiting != "code":
        return redirect_response(request, home_of(who))
    return await _code_page(request, who)


@router.post("/signin/code")
async def code(
    request: Request, who: Protected, console: ConsoleDep, code: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    if who.awaiting != "code":
        return redirect_response(request, home_of(who))
    if not code.strip():
        return await _code_page(request, who, status=422, error="コードを入力してください。")
    result = await second_factor.verify_second_step(
        console.runtime.unit_of_work, console.secret_box, console.lockout, who, code, console.token_ttl
    )
    if result.outcome != "ok":  # a sign-in is counted once, at its password step
        console.metrics.signed_in(result.outcome)
    if result.delay_s:
        await asyncio.sleep(result.delay_s)  # each failure makes the next guess slower
    if result.outcome == "locked":
        return redirect_response(request, "/signin?ended=locked", forget_session=True)
    if result.outcome != "ok":
        return await _code_page(request, who, status=401, error=CODE_FAILED)
    return redirect_response(request, "/")


async def _enrol_page(request: Request, who: SignedIn, console: ConsoleDep, *, error: str | None = None) -> Response:
    enrolled, left = await second_factor.status(console.runtime.unit_of_work, who.account_id)
    enrolment = None
    if not enrolled and may_enrol(h.grant for h in who.grants):
        enrolment = await second_factor.start_enrolment(console.runtime.unit_of_work, console.secret_box, who)
    context = await page(
        request,
        None if who.awaiting else who,
        "2段階認証の設定",
        csrf_token=who.csrf_token,
        account_id=who.account_id,
        enrolled=enrolled,
        recovery_left=left,
        enrolment=enrolment,
        secret_groups=" ".join(enrolment.secret[i : i + 4] for i in range(0, len(enrolment.secret), 4))
        if enrolment
        else "",
        required=who.awaiting == "enrolment",
        error=error,
        codes=None,
    )
    return render(request, "two_factor.html", context, status=422 if error else 200)


@router.get("/two-factor")
async def enrol_form(request: Request, who: Person, console: ConsoleDep) -> Response:
    return await _enrol_page(request, who, console)


@router.post("/two-factor")
async def enrol(
    request: Request, who: Protected, console: ConsoleDep, code: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    try:
        codes = await second_factor.confirm_enrolment(console.runtime.unit_of_work, console.secret_box, who, code)
    except DomainError as exc:
        return await _enrol_page(request, who, console, error=exc.message)
    context = await page(
        request,
        replace(who, awaiting=None),
        "2段階認証の設定",
        codes=[shown(c) for c in codes],
        next_href="/password" if who.must_change_password else home_of(who),
    )
    # Shown once, in this answer only (no-store, like every page).
    return render(request, "two_factor_codes.html", context)
