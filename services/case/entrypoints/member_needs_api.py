"""A household member's own needs over HTTP (the whole of them, as they should be)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import Field

from services.case.domain.member_needs import MAX_CATEGORIES, Needs
from services.case.entrypoints.dependencies import Services
from services.case.entrypoints.schemas import CommandResult, _Command
from services.case.handlers import member_needs
from shared.events.consultation import Consent
from shared.http.app import correlation_id_of
from shared.http.text import Text
from shared.identity import CurrentIdentity

router = APIRouter(prefix="/v1/cases/{case_id}/household/members/{member_id}", tags=["世帯員"])


class NeedsBody(_Command):
    categories: list[Text] = Field(
        default_factory=list, max_length=MAX_CATEGORIES, description="この人の相談分類 (reference/categories.yaml)"
    )
    consent: Consent | None = Field(None, description="ケースと違うときのこの人の同意(null: ケースと同じ)")
    language: Text | None = Field(None, max_length=40, description="使う言語(例: ベトナム語)")
    interpreter: bool = Field(False, description="通訳が必要か")


@router.post("/needs", response_model=CommandResult, summary="世帯員のニーズ(分類・同意・言語)を記録する")
async def record_needs(
    case_id: str, member_id: str, body: NeedsBody, request: Request, services: Services, caller: CurrentIdentity
) -> CommandResult:
    needs = Needs(list(body.categories), body.consent, body.language, body.interpreter)
    version = await member_needs.record_needs(
        services.runtime.unit_of_work(),
        services.reference.live,
        case_id,
        member_id,
        needs,
        body.version,
        caller,
        correlation_id_of(request),
    )
    return CommandResult(case_id=case_id, version=version, member_id=member_id)
