"""アカウント: supervisors and account administrators add accounts, give and take away
grants, disable, enable and reset passwords — and move several coordinators to another
area at once (4月の人事異動). The same commands as ``tsunagi user``."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.console.domain.accounts import ROLE_LABELS, Grant, grant_label
from services.console.entrypoints.pages.common import page
from services.console.entrypoints.web import Console, ConsoleDep, PageError, acting_as, redirect_response, render
from services.console.handlers import accounts, second_factor
from services.console.handlers.accounts import AccountCommand
from services.console.handlers.signin import SignedIn
from shared.errors import DomainError
from shared.events import Actor
from shared.http.app import correlation_id_of

router = APIRouter(include_in_schema=False)
ADMINS = ("supervisor", "account_admin")
Admin = Annotated[SignedIn, Depends(acting_as(*ADMINS))]
AdminAction = Annotated[SignedIn, Depends(acting_as(*ADMINS, csrf=True))]


def _command(request: Request, console: Console, who: SignedIn) -> AccountCommand:
    role = who.chosen.grant.role if who.chosen else "system"
    return AccountCommand(
        console.runtime.unit_of_work(),
        Actor(role=role, id=who.account_id),
        correlation_id_of(request),
        timedelta(seconds=console.settings.console_token_ttl_s),
    )


def _grant_options(console: Console) -> dict[str, Any]:
    reference = console.reference.current
    return {
        "role_options": [(r, label) for r, label in ROLE_LABELS.items()],
        "area_options": [(a, a) for a in sorted(reference.area_ids())],
        "agency_options": [(a.id, a.name) for a in reference.agencies],
        "kind_options": [(r.id, r.name) for r in reference.reporter_roles],
    }


def _grant_from(values: Any) -> Grant:
    role = str(values.get("role") or "")
    scope = {"coordinator": values.get("area"), "helper": values.get("area"), "agency": values.get("agency")}.get(
        role
    ) or "city"
    return Grant(role, str(scope), str(values.get("kind") or "") or None)


async def _list_page(request: Request, console: Console, who: SignedIn, *, status: int = 200, **extra: Any) -> Response:
    rows = await accounts.listing(console.runtime.unit_of_work())
    reference = console.reference.current
    context = {
        "accounts": rows,
        "label": lambda g: grant_label(g, reference),
        "values": {},
        "errors": {},
        **_grant_options(console),
        **extra,
    }
    return render(request, "admin/accounts.html", await page(request, who, "アカウント", **context), status=status)


@router.get("/admin/accounts")
async def account_list(request: Request, who: Admin, console: ConsoleDep) -> Response:
    return await _list_page(request, console, who)


@router.post("/admin/accounts")
async def add_account(request: Request, who: AdminAction, console: ConsoleDep) -> Response:
    values = dict(await request.form())
    password = secrets.token_urlsafe(12)
    try:
        await accounts.add_account(
            _command(request, console, who),
            console.reference.current,
            account_id=str(values.get("account_id") or "").strip(),
            display_name=str(values.get("display_name") or ""),
            password=password,
            grants=[_grant_from(values)],
        )
    except DomainError as exc:
        return await _list_page(
            request,
            console,
            who,
            status=422,
            values=values,
            errors={exc.field or "account_id": exc.message},
            add_open=True,
        )
    return await _list_page(request, console, who, created=(values.get("account_id"), password))


@router.post("/admin/accounts/move")
async def move(request: Request, who: AdminAction, console: ConsoleDep) -> Response:
    """人事異動: the ticked coordinators to another area; each reported."""
    form = await request.form()
    picked, area = [str(v) for v in form.getlist("account")][:200], str(form.get("area") or "")
    if not picked or not area:
        return await _list_page(
            request, console, who, status=422, move_errors={"area": "移動する人と、移動先の圏域を選んでください。"}
        )
    results = []
    for account_id in picked:
        try:
            old = await accounts.move_coordinator(
                _command(request, console, who), console.reference.current, account_id, area
            )
            results.append((account_id, True, f"{old} → {area}"))
        except DomainError as exc:
            results.append((account_id, False, exc.message))
    return await _list_page(request, console, who, move_results=results)


@router.get("/admin/accounts/{account_id}")
async def account_page(request: Request, account_id: str, who: Admin, console: ConsoleDep) -> Response:
    return await _account_page(request, console, who, account_id)


async def _account_page(
    request: Request, console: Console, who: SignedIn, account_id: str, *, status: int = 200, **extra: Any
) -> Response:
    found = await accounts.listing(console.runtime.unit_of_work(), [account_id])
    if not found:
        raise PageError(404, "アカウントが見つかりません", f"アカウント「{account_id[:64]}」は登録されていません。")
    reference = console.reference.current
    context = {
        "account": found[0],
        "label": lambda g: grant_label(g, reference),
        "errors": {},
        "values": {},
        "me": who.account_id,
        **_grant_options(console),
        **extra,
    }
    return render(request, "admin/account.html", await page(request, who, "アカウント", **context), status=status)


@router.post("/admin/accounts/{account_id}/{action}")
async def account_action(
    request: Request, account_id: str, action: str, who: AdminAction, console: ConsoleDep
) -> Response:
    values = await request.form()
    cmd = _command(request, console, who)
    password = None
    try:
        if action == "grant":
            await accounts.add_grant(cmd, console.reference.current, account_id, _grant_from(values))
        elif action == "revoke":
            grant = Grant(str(values.get("role") or ""), str(values.get("scope") or ""))
            await accounts.revoke_grant(cmd, account_id, grant)
        elif action in ("disable", "enable"):
            await accounts.set_disabled(cmd, account_id, action == "disable")
        elif action == "reset-second-factor":
            await second_factor.reset(cmd, account_id)
        elif action == "reset-password":
            password = secrets.token_urlsafe(12)
            await accounts.reset_password(cmd, account_id, password)
        else:
            raise PageError(404, "ページが見つかりません", "この操作はありません。")
    except DomainError as exc:
        return await _account_page(
            request,
            console,
            who,
            account_id,
            status=422,
            errors={exc.field or "role": exc.message},
            values=dict(values),
            action=action,
        )
    if password:
        return await _account_page(request, console, who, account_id, temporary_password=password)
    notice = "second_factor_reset" if action == "reset-second-factor" else "account_saved"
    return redirect_response(request, f"/admin/accounts/{account_id}?notice={notice}")
