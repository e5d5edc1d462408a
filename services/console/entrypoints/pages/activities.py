"""地域の活動: the activities of the coordinator's area (a supervisor: every area), newest
first, and — for a coordinator — the form to log one with no case: an outreach or a
meeting in a school district, which counts even when it found no one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.console.adapters.backend import ApiError
from services.console.entrypoints.pages import activity_form
from services.console.entrypoints.pages.case_commands import read_form
from services.console.entrypoints.pages.common import page, pager, refusal_errors
from services.console.entrypoints.pages.labels import Labels
from services.console.entrypoints.web import Console, ConsoleDep, acting_as, redirect_response, render
from services.console.handlers.signin import SignedIn
from shared.http.app import correlation_id_of

router = APIRouter(include_in_schema=False)
Desk = Annotated[SignedIn, Depends(acting_as("coordinator", "supervisor"))]
CoordinatorAction = Annotated[SignedIn, Depends(acting_as("coordinator", csrf=True))]
PER_PAGE = 50
SHOWN = (("", "すべての活動"), ("area", "ケースのない地域の活動"))


async def _render(
    request: Request,
    console: Console,
    who: SignedIn,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    q = request.query_params
    page_no = int(q["page"]) if q.get("page", "").isdigit() and 0 < int(q["page"]) <= 10_000 else 1
    only_area = q.get("shown") == "area"
    listing = await console.backend.get(
        "case",
        "/v1/activities",
        who,
        params={"page": page_no, "per_page": PER_PAGE, "without_case": "true" if only_area else "false"},
        correlation_id=correlation_id_of(request),
    )
    role = who.chosen.grant.role if who.chosen else ""
    area = who.chosen.grant.scope if role == "coordinator" and who.chosen else None
    labels = Labels(console.reference.current)
    shown = [("shown", "area")] if only_area else []
    context = {
        "listing": listing,
        "labels": labels,
        "writer": role == "coordinator",
        "area": area,
        "shown": "area" if only_area else "",
        "shown_options": list(SHOWN),
        "values": values or {},
        "errors": errors or {},
        "pager": pager(page_no, PER_PAGE, int(listing.get("total", 0)), "/activities", shown),
        **activity_form.choices(labels, area),
    }
    return render(request, "activities.html", await page(request, who, "地域の活動", **context), status=status)


@router.get("/activities")
async def activities_page(request: Request, who: Desk, console: ConsoleDep) -> Response:
    return await _render(request, console, who)


@router.post("/activities")
async def record_area_activity(request: Request, who: CoordinatorAction, console: ConsoleDep) -> Response:
    values = await read_form(request)
    try:
        body = activity_form.activity_body(values)
    except activity_form.ActivityFormProblem as exc:
        return await _render(request, console, who, values=values, errors=exc.errors, status=422)
    refused = activity_form.missing(body)
    if not body["school_district"]:
        refused = {**(refused or {}), "activity_district": "活動した小学校区を選んでください。"}
    if refused:
        return await _render(request, console, who, values=values, errors=refused, status=422)
    try:
        await console.backend.post("case", "/v1/activities", who, body, correlation_id=correlation_id_of(request))
    except ApiError as exc:
        errors = activity_form.page_errors(refusal_errors(exc, shown=(400, 403, 422)))
        return await _render(request, console, who, values=values, errors=errors, status=422)
    return redirect_response(request, "/activities?notice=activity_recorded")
