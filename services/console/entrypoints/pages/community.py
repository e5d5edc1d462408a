"""地域課題: community issues gathered from needs no service meets — the list with the
supervisor's counts by area, school district and category, and one issue with the
needs and cases it came from. An area's coordinators gather the area's needs not yet in
an issue into a new one (the list page), add more to an issue and move it on."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.console.adapters.backend import ApiError
from services.console.entrypoints.formatting import jst_datetime
from services.console.entrypoints.pages.case import check_case_id
from services.console.entrypoints.pages.common import page, pager
from services.console.entrypoints.pages.labels import Labels
from services.console.entrypoints.web import Console, ConsoleDep, acting_as, redirect_response, render
from services.console.handlers.signin import SignedIn
from shared.http.app import correlation_id_of
from shared.reference import CITY_WIDE

router = APIRouter(include_in_schema=False)
Reader = Annotated[SignedIn, Depends(acting_as("coordinator", "supervisor"))]
Mover = Annotated[SignedIn, Depends(acting_as("coordinator", csrf=True))]
STATUS_LABELS = {"raised": "提起", "discussed": "協議中", "developing": "資源開発中", "addressed": "解決"}
PER_PAGE = 50  # needs not yet in an issue, a page at a time


def _role(who: SignedIn) -> str:
    return who.chosen.grant.role if who.chosen is not None else ""


def _gatherer(who: SignedIn) -> bool:
    """A coordinator of a daily-life area gathers its needs (not the city-wide queue's)."""
    return _role(who) == "coordinator" and who.chosen is not None and who.chosen.grant.scope != CITY_WIDE


def _page_no(request: Request) -> int:
    raw = request.query_params.get("page", "")
    return int(raw) if raw.isdigit() and 0 < int(raw) <= 10_000 else 1


async def _open_needs(request: Request, console: Console, who: SignedIn, base: str) -> dict[str, Any]:
    """The area's needs not yet in an issue, as choices (the case, category, district;
    what is missing beneath), a page at a time."""
    page_no = _page_no(request)
    found = await console.backend.get(
        "case",
        "/v1/unmet-needs",
        who,
        params={"gathered": "false", "page": page_no, "per_page": PER_PAGE},
        correlation_id=correlation_id_of(request),
    )
    labels = Labels(console.reference.current)
    options = [
        (
            n["id"],
            f"ケース {n['case_number'] or n['case_id']}・{labels.category(n['category'])}・"
            f"{labels.district(n['school_district'])}",
            f"{n['missing']}({jst_datetime(n['recorded_at'])} 記録)",
        )
        for n in found.get("items", [])
    ]
    total = int(found.get("total", 0))
    return {"need_options": options, "needs_total": total, "needs_pager": pager(page_no, PER_PAGE, total, base, [])}


async def _render_list(
    request: Request,
    console: Console,
    who: SignedIn,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    cid = correlation_id_of(request)
    found = await console.backend.get("case", "/v1/community-issues", who, params={"limit": 200}, correlation_id=cid)
    counts: list[dict[str, Any]] = []
    if _role(who) == "supervisor":
        counts = await console.backend.get("case", "/v1/unmet-needs/counts", who, correlation_id=cid)
    gathering = await _open_needs(request, console, who, "/community-issues") if _gatherer(who) else {}
    context = {
        "issues": found.get("items", []),
        "total": found.get("total", 0),
        "counts": counts,
        "labels": Labels(console.reference.current),
        "gatherer": _gatherer(who),
        "values": values,
        "errors": errors,
        **gathering,
    }
    return render(request, "community_issues.html", await page(request, who, "地域課題", **context), status=status)


@router.get("/community-issues")
async def issues_page(request: Request, who: Reader, console: ConsoleDep) -> Response:
    return await _render_list(request, console, who, {}, {})


async def _chosen(request: Request) -> dict[str, Any]:
    form = await request.form()
    return {
        "title": str(form.get("title") or "").strip(),
        "need_ids": [str(v) for v in form.getlist("need_ids")],
        "version": str(form.get("version") or ""),
    }


@router.post("/community-issues")
async def raise_issue(request: Request, who: Mover, console: ConsoleDep) -> Response:
    """The chosen needs into a new issue of the area; the case service says whether they
    may be gathered (two cases at least, the area's, none already in an issue)."""
    values = await _chosen(request)
    try:
        raised = await console.backend.post(
            "case",
            "/v1/community-issues",
            who,
            {"title": values["title"], "need_ids": values["need_ids"]},
            correlation_id=correlation_id_of(request),
        )
    except ApiError as exc:
        if exc.status not in (400, 409, 422):
            raise
        errors = exc.field_errors() if exc.status == 422 else {}
        return await _render_list(request, console, who, values, errors or {"need_ids": exc.detail}, exc.status)
    return redirect_response(request, f"/community-issues/{raised['issue_id']}?notice=issue_raised")


async def _render_issue(
    request: Request,
    console: Console,
    who: SignedIn,
    issue_id: str,
    errors: dict[str, str],
    status: int = 200,
    values: dict[str, Any] | None = None,
) -> Response:
    issue = await console.backend.get(
        "case", f"/v1/community-issues/{check_case_id(issue_id)}", who, correlation_id=correlation_id_of(request)
    )
    movable = _role(who) == "coordinator" and who.chosen is not None and who.chosen.grant.scope == issue["area"]
    adding = movable and issue["status"] != "addressed"
    context = {
        "issue": issue,
        "labels": Labels(console.reference.current),
        "errors": errors,
        "values": values or {},
        "movable": movable,
        "adding": adding,
        "next_options": [(s, STATUS_LABELS.get(s, s)) for s in issue.get("next_statuses", [])],
        **(await _open_needs(request, console, who, f"/community-issues/{issue['id']}") if adding else {}),
    }
    return render(request, "community_issue.html", await page(request, who, "地域課題", **context), status=status)


@router.get("/community-issues/{issue_id}")
async def issue_page(request: Request, issue_id: str, who: Reader, console: ConsoleDep) -> Response:
    return await _render_issue(request, console, who, issue_id, {})


@router.post("/community-issues/{issue_id}/status")
async def move_issue(request: Request, issue_id: str, who: Mover, console: ConsoleDep) -> Response:
    form = await request.form()
    target = str(form.get("to") or "")
    version = str(form.get("version") or "")
    if not target:
        return await _render_issue(request, console, who, issue_id, {"to": "次の状態を選んでください。"}, 422)
    try:
        await console.backend.post(
            "case",
            f"/v1/community-issues/{check_case_id(issue_id)}/status",
            who,
            {"to": target, "version": int(version) if version.isdigit() else 0},
            correlation_id=correlation_id_of(request),
        )
    except ApiError as exc:
        if exc.status not in (400, 409, 422):
            raise
        errors = exc.field_errors() if exc.status == 422 else {}
        return await _render_issue(request, console, who, issue_id, errors or {"to": exc.detail}, exc.status)
    return redirect_response(request, f"/community-issues/{issue_id}?notice=issue_moved")


@router.post("/community-issues/{issue_id}/needs")
async def add_needs(request: Request, issue_id: str, who: Mover, console: ConsoleDep) -> Response:
    """More of the area's needs into the issue, on the version the page showed."""
    values = await _chosen(request)
    if not values["need_ids"]:
        return await _render_issue(
            request, console, who, issue_id, {"need_ids": "加えるニーズを選んでください。"}, 422, values
        )
    version = values["version"]
    try:
        await console.backend.post(
            "case",
            f"/v1/community-issues/{check_case_id(issue_id)}/needs",
            who,
            {"need_ids": values["need_ids"], "version": int(version) if version.isdigit() else 0},
            correlation_id=correlation_id_of(request),
        )
    except ApiError as exc:
        if exc.status not in (400, 409, 422):
            raise
        # Every refusal is about the needs chosen (or the issue changed meanwhile).
        errors = {"need_ids": next(iter(exc.field_errors().values()), exc.detail)}
        return await _render_issue(request, console, who, issue_id, errors, exc.status, values)
    return redirect_response(request, f"/community-issues/{issue_id}?notice=needs_added#needs")
