"""地域課題: community issues gathered from needs no service meets — the list with the
supervisor's counts by area, school district and category, and one issue with the
needs and cases it came from (its coordinators move it on)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.console.adapters.backend import ApiError
from services.console.entrypoints.pages.case import check_case_id
from services.console.entrypoints.pages.common import page
from services.console.entrypoints.web import Console, ConsoleDep, acting_as, redirect_response, render
from services.console.handlers.signin import SignedIn
from shared.http.app import correlation_id_of

router = APIRouter(include_in_schema=False)
Reader = Annotated[SignedIn, Depends(acting_as("coordinator", "supervisor"))]
Mover = Annotated[SignedIn, Depends(acting_as("coordinator", csrf=True))]
STATUS_LABELS = {"raised": "提起", "discussed": "協議中", "developing": "資源開発中", "addressed": "解決"}


def _role(who: SignedIn) -> str:
    return who.chosen.grant.role if who.chosen is not None else ""


@router.get("/community-issues")
async def issues_page(request: Request, who: Reader, console: ConsoleDep) -> Response:
    cid = correlation_id_of(request)
    found = await console.backend.get("case", "/v1/community-issues", who, params={"limit": 200}, correlation_id=cid)
    counts: list[dict[str, Any]] = []
    if _role(who) == "supervisor":
        counts = await console.backend.get("case", "/v1/unmet-needs/counts", who, correlation_id=cid)
    context = {"issues": found.get("items", []), "total": found.get("total", 0), "counts": counts}
    return render(request, "community_issues.html", await page(request, who, "地域課題", **context))


async def _render_issue(
    request: Request, console: Console, who: SignedIn, issue_id: str, errors: dict[str, str], status: int = 200
) -> Response:
    issue = await console.backend.get(
        "case", f"/v1/community-issues/{check_case_id(issue_id)}", who, correlation_id=correlation_id_of(request)
    )
    movable = _role(who) == "coordinator" and who.chosen is not None and who.chosen.grant.scope == issue["area"]
    context = {
        "issue": issue,
        "errors": errors,
        "movable": movable,
        "next_options": [(s, STATUS_LABELS.get(s, s)) for s in issue.get("next_statuses", [])],
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
