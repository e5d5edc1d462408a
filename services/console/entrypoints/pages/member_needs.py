"""The case page's household section: one member's own needs (their categories, consent
where it differs, language and interpreter), posted to the case service."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.console.entrypoints.pages.case import check_case_id
from services.console.entrypoints.pages.case_commands import CaseWork, run_command
from services.console.entrypoints.web import ConsoleDep

router = APIRouter(include_in_schema=False)


@router.post("/cases/{case_id}/members/needs")
async def record_member_needs(request: Request, case_id: str, who: CaseWork, console: ConsoleDep) -> Response:
    form = await request.form()
    values = {key: str(form.getlist(key)[-1]) for key in form}
    categories = [str(c) for c in form.getlist("member_categories")]
    values["member_categories"] = categories  # type: ignore[assignment]
    member_id = values.get("member_id", "")
    refused = None if member_id else {"member_id": "世帯員を選んでください。"}
    body = {
        "categories": categories,
        "consent": values.get("member_consent") or None,
        "language": (values.get("language") or "").strip() or None,
        "interpreter": values.get("interpreter") == "1",
    }
    return await run_command(
        request,
        console,
        who,
        case_id,
        form="member_needs",
        path=f"household/members/{check_case_id(member_id) if member_id else ''}/needs",
        body=body,
        notice="member_needs_recorded",
        anchor="household",
        values=values,
        refused=refused,
    )
