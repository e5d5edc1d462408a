"""期限超過: handoffs past their deadline — by agency and by area, and each with the rung of
the escalation ladder it has reached (the agency reminded, then the area's coordinators,
then the supervisor). Supervisors see the city; coordinators their area."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.console.entrypoints.pages.common import page
from services.console.entrypoints.web import ConsoleDep, acting_as, render
from services.console.handlers.signin import SignedIn
from shared.http.app import correlation_id_of

router = APIRouter(include_in_schema=False)
Watcher = Annotated[SignedIn, Depends(acting_as("coordinator", "supervisor"))]
RUNGS = {"agency": "機関に督促済み", "coordinator": "コーディネーターに通知済み", "supervisor": "監督者に通知済み"}


@router.get("/overdue")
async def overdue(request: Request, who: Watcher, console: ConsoleDep) -> Response:
    found = await console.backend.get(
        "notify", "/v1/overdue", who, params={"limit": 500}, correlation_id=correlation_id_of(request)
    )
    items = sorted(found.get("items", []), key=lambda i: (-(i.get("late_hours") or 0), i["due_at"]))
    by_agency = Counter(i["agency_name"] for i in items).most_common()
    by_area = Counter(i["area"] for i in items).most_common()
    context = {"overdue": found, "items": items, "by_agency": by_agency, "by_area": by_area, "rungs": RUNGS}
    return render(request, "overdue.html", await page(request, who, "期限超過", **context))
