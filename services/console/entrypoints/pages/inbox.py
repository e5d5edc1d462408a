"""届いた依頼: the referrals sent to the agency, the nearest deadline first (the
agency's own desk — the referral page and its moves — is the second console issue)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.console.entrypoints.pages.common import page
from services.console.entrypoints.web import ConsoleDep, acting_as, render
from services.console.handlers.signin import SignedIn
from shared.http.app import correlation_id_of

router = APIRouter(include_in_schema=False)
Agency = Annotated[SignedIn, Depends(acting_as("agency"))]


@router.get("/inbox")
async def inbox(request: Request, who: Agency, console: ConsoleDep, closed: str = "") -> Response:
    show_closed = closed == "1"
    referrals = await console.backend.get("referral", "/v1/referrals", who,
                                          params={"open": "false" if show_closed else "true", "sort": "deadline",
                                                  "limit": 200}, correlation_id=correlation_id_of(request))
    context = {"referrals": referrals, "show_closed": show_closed}
    return render(request, "inbox.html", await page(request, who, "届いた依頼", **context))
