"""お知らせ: the person's notifications (new cases, a referral accepted or declined,
overdue handoffs), newest first, each marked read on its own."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.console.entrypoints.pages.common import page
from services.console.entrypoints.web import ConsoleDep, PageError, acting_as, redirect_response, render
from services.console.handlers.signin import SignedIn
from shared.http.app import correlation_id_of

router = APIRouter(include_in_schema=False)
ROLES = ("coordinator", "supervisor", "agency", "reporter", "helper")
Reader = Annotated[SignedIn, Depends(acting_as(*ROLES))]
Marker = Annotated[SignedIn, Depends(acting_as(*ROLES, csrf=True))]
NOTIFICATION_ID = re.compile(r"^[0-9A-Za-z_-]{1,64}$")


@router.get("/notifications")
async def notifications(request: Request, who: Reader, console: ConsoleDep, unread: str = "") -> Response:
    inbox = await console.backend.get(
        "notify",
        "/v1/notifications",
        who,
        params={"unread": "true" if unread == "1" else "false", "limit": 100},
        correlation_id=correlation_id_of(request),
    )
    context = {
        "inbox": inbox,
        "unread_only": unread == "1",
        "case_links": who.chosen is not None and who.chosen.grant.role in ("coordinator", "supervisor"),
    }
    return render(request, "notifications.html", await page(request, who, "お知らせ", **context))


@router.post("/notifications/{notification_id}/read")
async def mark_read(request: Request, notification_id: str, who: Marker, console: ConsoleDep) -> Response:
    if not NOTIFICATION_ID.fullmatch(notification_id):
        raise PageError(404, "お知らせが見つかりません", "このお知らせは見つかりません。")
    await console.backend.post(
        "notify", f"/v1/notifications/{notification_id}/read", who, None, correlation_id=correlation_id_of(request)
    )
    return redirect_response(request, "/notifications?notice=read")
