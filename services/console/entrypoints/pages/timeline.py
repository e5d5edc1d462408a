"""経過: the case's timeline — every event from every service in order, filtered by
kind, and downloaded as CSV or JSON (the case service's own export, passed through)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.console.entrypoints.pages.case import check_case_id, load_case
from services.console.entrypoints.pages.common import page
from services.console.entrypoints.pages.labels import Labels
from services.console.entrypoints.web import ConsoleDep, acting_as, render
from services.console.handlers.signin import SignedIn
from shared.http.app import correlation_id_of
from shared.http.paging import MAX_CURSOR

router = APIRouter(include_in_schema=False)
PER_PAGE = 100
Reader = Annotated[SignedIn, Depends(acting_as("coordinator", "supervisor"))]

KINDS = (
    ("consultation", "相談"),
    ("case", "ケース"),
    ("referral", "紹介"),
    ("notification", "通知"),
    ("followup", "督促"),
)
ACTOR_ROLES = {
    "reporter": "相談を寄せた人",
    "coordinator": "コーディネーター",
    "agency": "関係機関",
    "supervisor": "監督者",
    "system": "システム",
}


@router.get("/cases/{case_id}/timeline")
async def timeline_page(request: Request, case_id: str, who: Reader, console: ConsoleDep) -> Response:
    kinds = [k for k in request.query_params.getlist("kind") if k in dict(KINDS)]
    # A page at a time (a long case has thousands of entries); the next by the case service's cursor.
    cursor = request.query_params.get("cursor", "")[:MAX_CURSOR]
    params = [*(("kind", k) for k in kinds), ("per_page", str(PER_PAGE)), *((("cursor", cursor),) if cursor else ())]
    timeline = await console.backend.get(
        "case",
        f"/v1/cases/{check_case_id(case_id)}/timeline",
        who,
        params=params,
        correlation_id=correlation_id_of(request),
    )
    case = await load_case(request, console, who, case_id)
    context = {
        "case": case,
        "timeline": timeline,
        "kinds": kinds,
        "next_href": _next_href(case_id, kinds, timeline.get("next_cursor")),
        "first_href": f"/cases/{case_id}/timeline?" + urlencode([("kind", k) for k in kinds]) if cursor else None,
        "kind_options": list(KINDS),
        "actor_roles": ACTOR_ROLES,
        "labels": Labels(console.reference.current),
    }
    return render(request, "timeline.html", await page(request, who, f"経過 ケース {case['case_number']}", **context))


def _next_href(case_id: str, kinds: list[str], cursor: str | None) -> str | None:
    if not cursor:
        return None
    return f"/cases/{case_id}/timeline?" + urlencode([*(("kind", k) for k in kinds), ("cursor", cursor)])


@router.get("/cases/{case_id}/timeline.{fmt}")
async def timeline_download(request: Request, case_id: str, fmt: str, who: Reader, console: ConsoleDep) -> Response:
    if fmt not in ("csv", "json"):
        return Response(status_code=404)
    upstream = await console.backend.request(
        "case",
        "GET",
        f"/v1/cases/{check_case_id(case_id)}/timeline",
        who,
        params=[("format", fmt)],
        correlation_id=correlation_id_of(request),
    )
    headers = {k: v for k, v in upstream.headers.items() if k.lower() in ("content-type", "content-disposition")}
    return Response(upstream.content, status_code=200, headers=headers)
