"""監督者の承認: the coordinator's request (offered where a case form was refused for
want of approval), the supervisor's queue and one request with its approve / refuse
form. Errors are Japanese, next to their field."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.console.adapters.backend import ApiError
from services.console.entrypoints.pages.case import check_case_id, load_case
from services.console.entrypoints.pages.common import page, refusal_errors
from services.console.entrypoints.web import Console, ConsoleDep, acting_as, redirect_response, render
from services.console.handlers.signin import SignedIn
from shared.http.app import correlation_id_of

router = APIRouter(include_in_schema=False)
Reader = Annotated[SignedIn, Depends(acting_as("coordinator", "supervisor"))]
Requester = Annotated[SignedIn, Depends(acting_as("coordinator", csrf=True))]
Decider = Annotated[SignedIn, Depends(acting_as("supervisor", csrf=True))]
# The request's own fields, apart from the refused form's (a status form has its own "reason").
API_FIELDS = {"reason": "approval_reason", "decision": "decision"}
MOVE_HINTS = {
    "share_without_consent": "本人の同意がないまま、個人に関わる項目を紹介先と共有します。",
    "close_with_open_work": "終わっていない紹介か見守り計画が残ったまま終結します(見守りは承認とともに終わります)。",
    "reopen_after_long": "終結から長い期間がたったケースを再開します。",
    "merge_across_areas": "別の圏域のケースに統合します。",
}
CARRIED = ("agency_id", "purpose", "share", "into_case_id", "to", "reason")


async def _form(request: Request) -> dict[str, Any]:
    form = await request.form()
    return {k: ([str(v) for v in form.getlist(k)] if k == "share" else str(form.get(k) or "")) for k in form}


async def approval_request_page(
    request: Request,
    console: Console,
    who: SignedIn,
    case_id: str,
    move: str,
    message: str,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status: int = 409,
) -> Response:
    """The refused move, why it waits for a supervisor, and the form to ask for it
    (what the refused form carried rides along in hidden fields, never in the URL)."""
    case = await load_case(request, console, who, case_id)
    carried = {k: values[k] for k in CARRIED if values.get(k)}
    context = {
        "case": case,
        "move": move,
        "hint": MOVE_HINTS.get(move, ""),
        "message": message,
        "carried": carried,
        "values": values,
        "errors": errors or {},
    }
    title = f"承認を依頼する ケース {case['case_number']}"
    return render(request, "approval_request.html", await page(request, who, title, **context), status=status)


@router.post("/cases/{case_id}/approvals")
async def request_approval(request: Request, case_id: str, who: Requester, console: ConsoleDep) -> Response:
    values = await _form(request)
    move = values.get("move", "")
    reason = values.get("approval_reason", "").strip()
    if not reason:
        return await approval_request_page(
            request,
            console,
            who,
            case_id,
            move,
            values.get("message", ""),
            values,
            {"approval_reason": "承認を求める理由を入力してください。"},
            422,
        )
    status_reason = values.get("reason", "").strip() if move in ("close_with_open_work", "reopen_after_long") else ""
    body = {
        "move": move,
        "reason": reason,
        "agency_id": values.get("agency_id") or None,
        "purpose": values.get("purpose") or None,
        "share": values.get("share") or [],
        "into_case_id": values.get("into_case_id") or None,
        "status_reason": status_reason or None,
        "version": int(values["version"]) if values.get("version", "").isdigit() else 0,
    }
    try:
        await console.backend.post(
            "case",
            f"/v1/cases/{check_case_id(case_id)}/approvals",
            who,
            body,
            correlation_id=correlation_id_of(request),
        )
    except ApiError as exc:
        errors = refusal_errors(exc, field=lambda name: API_FIELDS.get(name, name))
        return await approval_request_page(
            request, console, who, case_id, move, values.get("message", ""), values, errors, exc.status
        )
    return redirect_response(request, f"/cases/{case_id}?notice=approval_requested#summary")


@router.get("/approvals")
async def approval_queue(request: Request, who: Reader, console: ConsoleDep) -> Response:
    shown = request.query_params.get("status", "pending")
    params: dict[str, Any] = {"limit": 200, **({"status": shown} if shown in ("pending", "approved") else {})}
    found = await console.backend.get(
        "case", "/v1/approvals", who, params=params, correlation_id=correlation_id_of(request)
    )
    context = {"queue": found, "items": found.get("items", []), "shown": shown}
    return render(request, "approvals.html", await page(request, who, "承認", **context))


async def _approval(request: Request, console: Console, who: SignedIn, approval_id: str) -> dict[str, Any]:
    found: dict[str, Any] = await console.backend.get(
        "case", f"/v1/approvals/{check_case_id(approval_id)}", who, correlation_id=correlation_id_of(request)
    )
    return found


async def _render_one(
    request: Request,
    console: Console,
    who: SignedIn,
    approval_id: str,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    approval = await _approval(request, console, who, approval_id)
    is_supervisor = who.chosen is not None and who.chosen.grant.role == "supervisor"
    context = {"approval": approval, "values": values, "errors": errors, "is_supervisor": is_supervisor}
    title = f"承認依頼 ケース {approval['case_number']}"
    return render(request, "approval.html", await page(request, who, title, **context), status=status)


@router.get("/approvals/{approval_id}")
async def approval_page(request: Request, approval_id: str, who: Reader, console: ConsoleDep) -> Response:
    return await _render_one(request, console, who, approval_id, {}, {})


@router.post("/approvals/{approval_id}/decision")
async def decide(request: Request, approval_id: str, who: Decider, console: ConsoleDep) -> Response:
    values = await _form(request)
    errors = {}
    if values.get("decision") not in ("approve", "refuse"):
        errors["decision"] = "承認か却下を選んでください。"
    if not values.get("approval_reason", "").strip():
        errors["approval_reason"] = "判断の理由を入力してください。"
    if errors:
        return await _render_one(request, console, who, approval_id, values, errors, 422)
    body = {"decision": values["decision"], "reason": values["approval_reason"].strip()}
    try:
        await console.backend.post(
            "case",
            f"/v1/approvals/{check_case_id(approval_id)}/decision",
            who,
            body,
            correlation_id=correlation_id_of(request),
        )
    except ApiError as exc:
        errors = refusal_errors(exc, field=lambda name: API_FIELDS.get(name, name))
        return await _render_one(request, console, who, approval_id, values, errors, exc.status)
    return redirect_response(request, f"/approvals/{approval_id}?notice=approval_decided")


@router.post("/approvals/{approval_id}/withdraw")
async def withdraw(request: Request, approval_id: str, who: Requester, console: ConsoleDep) -> Response:
    try:
        await console.backend.post(
            "case",
            f"/v1/approvals/{check_case_id(approval_id)}/withdraw",
            who,
            {},
            correlation_id=correlation_id_of(request),
        )
    except ApiError as exc:
        if exc.status != 409:
            raise
        return await _render_one(request, console, who, approval_id, {}, {"_form": exc.detail}, 409)
    return redirect_response(request, f"/approvals/{approval_id}?notice=approval_withdrawn")
