"""スタイルガイド: every component in its normal and error states, for the people who
build pages and for the accessibility check (embedded and test mode only)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.console.entrypoints.pages.common import page
from services.console.entrypoints.web import ConsoleDep, PageError, Visitor, render

router = APIRouter(include_in_schema=False)


@router.get("/styleguide")
async def styleguide(request: Request, who: Visitor, console: ConsoleDep) -> Response:
    if console.settings.mode == "production":
        raise PageError(404, "ページが見つかりません", "お探しのページは見つかりません。")
    return render(request, "styleguide.html", await page(request, who, "スタイルガイド"))
