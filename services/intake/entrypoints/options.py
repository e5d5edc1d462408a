"""The options a consultation form offers (reporter roles, channels, school districts,
categories, age groups), read from the city's reference data. The reporters' form itself is the
console's (相談する)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from services.intake.entrypoints.dependencies import Services
from shared.reference import UNKNOWN_DISTRICT

router = APIRouter()


@router.get("/v1/options", tags=["consultations"], summary="フォームの選択肢 (reference data, no personal data)")
async def options(request: Request, services: Services) -> dict[str, Any]:
    ref = services.reference
    return {
        "sample": ref.sample,
        "reporter_roles": [{"id": r.id, "name": r.name} for r in ref.reporter_roles],
        "channels": [{"id": c.id, "name": c.name} for c in ref.channels],
        "school_districts": [{"id": d.id, "name": d.name, "area": d.area} for d in ref.school_districts]
        + [{"id": UNKNOWN_DISTRICT, "name": "不明(分からない)", "area": "市全域"}],
        "categories": [{"id": c.id, "name": c.name} for c in ref.categories],
        "age_groups": [{"id": a.id, "name": a.name} for a in ref.age_groups],
        "urgency": ["緊急", "高", "通常"],
        "consent": ["同意あり", "同意なし", "未確認"],
    }
