"""The agency directory (関連機関), read-only: what a coordinator picks a referral's
agency from. Contact addresses are listed; delivery secrets (webhook URLs) are not."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from services.referral.entrypoints.dependencies import Services
from services.referral.entrypoints.schemas import AgencyDirectoryOut, AgencyOut
from shared.errors import NotFound
from shared.identity import CurrentIdentity
from shared.reference import Agency

router = APIRouter(prefix="/v1", tags=["agencies"])


def _out(agency: Agency) -> AgencyOut:
    return AgencyOut(
        id=agency.id,
        name=agency.name,
        kind=agency.kind,
        areas=list(agency.areas),
        city_wide=not agency.areas,
        channels=list(agency.channels),
        calendar=agency.calendar,
        email=agency.email,
        phone=agency.phone,
        has_webhook=agency.webhook_url is not None,
    )


@router.get("/agencies", response_model=AgencyDirectoryOut, summary="機関名簿 (any signed-in role)")
async def list_agencies(
    request: Request,
    services: Services,
    _caller: CurrentIdentity,
    kind: Annotated[str | None, Query(max_length=40, description="種別で絞り込み(例: 地域包括支援センター)")] = None,
    area: Annotated[str | None, Query(max_length=40, description="この圏域を担当する機関(市全域の機関を含む)")] = None,
) -> AgencyDirectoryOut:
    reference = services.reference
    agencies = [
        a
        for a in reference.agencies
        if (kind is None or a.kind == kind) and (area is None or not a.areas or area in a.areas)
    ]
    return AgencyDirectoryOut(sample=reference.sample, items=[_out(a) for a in agencies])


@router.get("/agencies/{agency_id}", response_model=AgencyOut, summary="機関の詳細")
async def get_agency(
    agency_id: Annotated[str, Path(max_length=64)], request: Request, services: Services, _caller: CurrentIdentity
) -> AgencyOut:
    agency = services.reference.agency(agency_id)
    if agency is None:
        raise NotFound(f"機関「{agency_id}」は機関名簿に登録されていません。")
    return _out(agency)
