"""つなぐ: refer a case to an agency — the agency (those serving the case's area), the
purpose, and the fields to share, each as the case service's consent rule allows."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.console.adapters.backend import ApiError
from services.console.entrypoints.pages.case import check_case_id, load_case, refer_options, seen_of
from services.console.entrypoints.pages.case_commands import answer_refusal, read_form, version_of
from services.console.entrypoints.pages.common import page
from services.console.entrypoints.pages.labels import Labels
from services.console.entrypoints.web import Console, ConsoleDep, acting_as, redirect_response, render
from services.console.handlers.signin import SignedIn
from shared.http.app import correlation_id_of

router = APIRouter(include_in_schema=False)
Referrer = Annotated[SignedIn, Depends(acting_as("coordinator"))]
ReferAction = Annotated[SignedIn, Depends(acting_as("coordinator", csrf=True))]


async def _render(
    request: Request,
    console: Console,
    who: SignedIn,
    case_id: str,
    *,
    case: dict[str, Any] | None = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    conflict: str | None = None,
    status: int = 200,
    **_ignored: Any,
) -> Response:
    case = case or await load_case(request, console, who, case_id)
    labels = Labels(console.reference.current)
    context = {
        "case": case,
        "labels": labels,
        "form": "refer",
        "values": values or {},
        "errors": errors or {},
        "conflict": conflict,
        "seen": seen_of(case),
        **refer_options(case, labels),
    }
    title = f"つなぐ ケース {case['case_number']}"
    return render(request, "refer.html", await page(request, who, title, **context), status=status)


@router.get("/cases/{case_id}/refer")
async def refer_page(request: Request, case_id: str, who: Referrer, console: ConsoleDep) -> Response:
    return await _render(request, console, who, case_id, values={}, errors={})


@router.post("/cases/{case_id}/refer")
async def refer(request: Request, case_id: str, who: ReferAction, console: ConsoleDep) -> Response:
    values = await read_form(request)
    body = {
        "agency_id": values.get("agency_id") or "",
        "purpose": str(values.get("purpose") or "").strip(),
        "share": values.get("share") or [],
        "version": version_of(values),
    }
    refused = {}
    if not body["agency_id"]:
        refused["agency_id"] = "紹介先を選んでください。"
    if not body["purpose"]:
        refused["purpose"] = "紹介の目的を入力してください。"
    if refused:
        return await _render(request, console, who, case_id, values=values, errors=refused, status=422)
    try:
        await console.backend.post(
            "case",
            f"/v1/cases/{check_case_id(case_id)}/referrals",
            who,
            body,
            correlation_id=correlation_id_of(request),
        )
    except ApiError as exc:
        return await answer_refusal(
            request,
            console,
            who,
            case_id,
            exc,
            form="refer",
            values=values,
            anchor="refer",
            rerender=partial(_render, request, console, who, case_id),
        )
    return redirect_response(request, f"/cases/{case_id}?notice=referred#referrals")
