"""The case page's サービスがないニーズ: recording that no service exists for a need of the
case (category, what is missing, the school district if not the case's own), posted to
the case service with the version the page showed like every case form."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.console.entrypoints.pages.case_commands import CaseWork, read_form, run_command
from services.console.entrypoints.web import ConsoleDep

router = APIRouter(include_in_schema=False)


@router.post("/cases/{case_id}/unmet-needs")
async def record_need(request: Request, case_id: str, who: CaseWork, console: ConsoleDep) -> Response:
    values = await read_form(request)
    category = str(values.get("need_category") or "")
    missing = str(values.get("need_missing") or "").strip()
    refused = {
        **({} if category else {"need_category": "相談分類を選んでください。"}),
        **({} if missing else {"need_missing": "ないサービス・足りないものを入力してください。"}),
    }
    body = {
        "category": category,
        "missing": missing,
        "school_district": str(values.get("need_school_district") or "") or None,
    }
    return await run_command(
        request,
        console,
        who,
        case_id,
        form="need",
        path="unmet-needs",
        body=body,
        notice="need_recorded",
        anchor="needs",
        values=values,
        refused=refused or None,
    )
