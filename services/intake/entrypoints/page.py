"""The reporter's page (相談受付フォーム): a Japanese form over the same API, and the
options it offers, read from the city's reference data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from shared.reference import UNKNOWN_DISTRICT

PAGE = Path(__file__).with_name("static") / "index.html"

router = APIRouter()


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def form_page() -> HTMLResponse:
    return HTMLResponse(PAGE.read_text(encoding="utf-8"))


@router.get("/v1/options", tags=["consultations"], summary="フォームの選択肢 (reference data, no personal data)")
async def options(request: Request) -> dict[str, Any]:
    ref = request.app.state.services.reference
    return {
        "sample": ref.sample,
        "reporter_roles": [{"id": r.id, "name": r.name} for r in ref.reporter_roles],
        "channels": [{"id": c.id, "name": c.name} for c in ref.channels],
        "school_districts": [{"id": d.id, "name": d.name, "area": d.area} for d in ref.school_districts]
        + [{"id": UNKNOWN_DISTRICT, "name": "不明(分からない)", "area": "市全域"}],
        "categories": [{"id": c.id, "name": c.name} for c in ref.categories],
        "urgency": ["緊急", "高", "通常"],
        "consent": ["同意あり", "同意なし", "未確認"],
    }
