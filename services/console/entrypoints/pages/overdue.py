"""期限超過: handoffs past their deadline — by agency and by area, and each with the rung of
the escalation ladder it has reached (the agency reminded, then the area's coordinators,
then the supervisor). Supervisors see the city; coordinators their area."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from services.console.entrypoints.pages.common import page, pager
from services.console.entrypoints.web import ConsoleDep, acting_as, render
from services.console.handlers.signin import SignedIn
from shared.http.app import correlation_id_of

router = APIRouter(include_in_schema=False)
Watcher = Annotated[SignedIn, Depends(acting_as("coordinator", "supervisor"))]
PER_PAGE = 100
RUNGS = {"agency": "機関に督促済み", "coordinator": "コーディネーターに通知済み", "supervisor": "監督者に通知済み"}


@router.get("/overdue")
async def overdue(
    request: Request,
    who: Watcher,
    console: ConsoleDep,
    page_no: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1,
) -> Response:
    # Oldest deadline first across pages (the most late always on the first); the counts are of all.
    found = await console.backend.get(
        "notify",
        "/v1/overdue",
        who,
        params={"per_page": PER_PAGE, "page": page_no},
        correlation_id=correlation_id_of(request),
    )
    listing = pager(page_no, PER_PAGE, int(found.get("total", 0)), "/overdue", [])
    context = {
        "overdue": found,
        "items": found.get("items", []),
        "by_agency": [(c["name"], c["n"]) for c in found.get("by_agency", [])],
        "by_area": [(c["name"], c["n"]) for c in found.get("by_area", [])],
        "rungs": RUNGS,
        "pager": listing,
    }
    return render(request, "overdue.html", await page(request, who, "期限超過", **context))
