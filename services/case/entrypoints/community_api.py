"""Unmet needs on a case and community issues (地域課題) over HTTP, and the supervisor's
counts of needs by area, school district and category."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from services.case.domain import community as rules
from services.case.entrypoints.dependencies import Services
from services.case.entrypoints.schemas import _Command
from services.case.handlers import community
from shared.clock import as_utc, jst_text
from shared.http.app import correlation_id_of
from shared.http.paging import Page, Window, page_of, paging
from shared.http.text import MAX_VERSION, Text
from shared.identity import CurrentIdentity
from shared.plausible import FreeText

case_router = APIRouter(prefix="/v1/cases/{case_id}/unmet-needs", tags=["地域課題"])
router = APIRouter(prefix="/v1/community-issues", tags=["地域課題"])
counts_router = APIRouter(prefix="/v1/unmet-needs", tags=["地域課題"])


class NeedIn(_Command):
    category: Text = Field(min_length=1, max_length=40, description="相談分類(参照データの分類)")
    school_district: Text | None = Field(
        None, min_length=1, max_length=40, description="小学校区(省略時はケースの校区)"
    )
    missing: FreeText = Field(min_length=1, max_length=1000, description="ないサービス・足りないもの")


class NeedResult(BaseModel):
    case_id: str
    version: int
    need_id: str


class Need(BaseModel):
    id: str
    case_id: str
    case_number: str | None = None
    area: str
    category: str
    school_district: str
    missing: str
    issue_id: str | None
    recorded_by: str
    recorded_at: datetime
    recorded_at_jst: str


class IssueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: FreeText = Field(min_length=1, max_length=200, description="地域課題の名前")
    need_ids: list[Text] = Field(min_length=2, max_length=100, description="まとめるニーズ(2つ以上のケースから)")


class IssueNeedsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=MAX_VERSION, description="操作の基にした地域課題の版")
    need_ids: list[Text] = Field(min_length=1, max_length=100, description="加えるニーズ")


class IssueStatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=MAX_VERSION, description="操作の基にした地域課題の版")
    to: Text = Field(min_length=1, max_length=12, description="raised / discussed / developing / addressed")


class IssueResult(BaseModel):
    issue_id: str
    version: int


class IssueItem(BaseModel):
    id: str
    area: str
    title: str
    status: str
    status_label: str
    raised_by: str
    raised_at: datetime
    raised_at_jst: str
    version: int


class Issue(IssueItem):
    needs: list[Need]
    case_ids: list[str] = Field(description="ニーズが記録されたケース")
    next_statuses: list[str]


class NeedCount(BaseModel):
    area: str
    school_district: str
    category: str
    needs: int
    gathered: int = Field(description="そのうち地域課題にまとめられた数")


def _need(row: dict[str, Any], case_number: str | None = None) -> Need:
    return Need(
        **{k: row[k] for k in ("id", "case_id", "area", "category", "school_district", "missing", "issue_id")},
        case_number=case_number,
        recorded_by=row["recorded_by"],
        recorded_at=as_utc(row["recorded_at"]),
        recorded_at_jst=jst_text(row["recorded_at"]),
    )


def _issue_item(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **{k: row[k] for k in ("id", "area", "title", "status", "raised_by", "version")},
        "status_label": rules.STATUS_LABELS.get(row["status"], row["status"]),
        "raised_at": as_utc(row["raised_at"]),
        "raised_at_jst": jst_text(row["raised_at"]),
    }


@case_router.post("", status_code=201, response_model=NeedResult, summary="サービスがないニーズを記録する")
async def record_need(
    case_id: str, body: NeedIn, request: Request, services: Services, caller: CurrentIdentity
) -> NeedResult:
    need_id, version = await community.record_need(
        services.runtime.unit_of_work(),
        services.reference.live,
        case_id,
        body.category,
        body.school_district,
        body.missing,
        body.version,
        caller,
        correlation_id_of(request),
    )
    return NeedResult(case_id=case_id, version=version, need_id=need_id)


@case_router.get("", response_model=list[Need], summary="このケースのサービスがないニーズ(閲覧は記録されます)")
async def case_needs(case_id: str, services: Services, caller: CurrentIdentity) -> list[Need]:
    rows = await community.needs_of_case(services.runtime.unit_of_work(), case_id, caller)
    return [_need(r) for r in rows]


@router.post("", status_code=201, response_model=IssueResult, summary="ニーズを地域課題にまとめる(自分の圏域)")
async def raise_issue(body: IssueIn, request: Request, services: Services, caller: CurrentIdentity) -> IssueResult:
    issue_id = await community.raise_issue(
        services.runtime.unit_of_work(), body.title, list(body.need_ids), caller, correlation_id_of(request)
    )
    return IssueResult(issue_id=issue_id, version=1)


@router.get("", response_model=Page[IssueItem], summary="地域課題の一覧(監督者: 全圏域、コーディネーター: 自分の圏域)")
async def list_issues(
    services: Services,
    caller: CurrentIdentity,
    window: Annotated[Window, Depends(paging(default=50, maximum=200))],
    area: Annotated[str | None, Query(max_length=40, description="圏域(監督者のみ。省略時はすべて)")] = None,
    status: Annotated[str | None, Query(max_length=12, description="状態")] = None,
) -> Page[IssueItem]:
    rows, total = await community.issues(
        services.runtime.unit_of_work(), caller, area, status, window.offset, window.limit
    )
    items = [IssueItem(**_issue_item(r)) for r in rows]
    return Page[IssueItem](**page_of(window, items, total))


@router.get("/{issue_id}", response_model=Issue, summary="地域課題とそのニーズ・ケース(閲覧は記録されます)")
async def get_issue(issue_id: str, services: Services, caller: CurrentIdentity) -> Issue:
    found = await community.issue_of(services.runtime.unit_of_work(), issue_id, caller)
    numbers = found["case_numbers"]
    return Issue(
        **_issue_item(found),
        needs=[_need(n, numbers.get(n["case_id"])) for n in found["needs"]],
        case_ids=sorted(numbers),
        next_statuses=sorted(rules.ALLOWED.get(found["status"], ()), key=rules.STATUSES.index),
    )


@router.post("/{issue_id}/needs", response_model=IssueResult, summary="地域課題にニーズを加える")
async def add_needs(
    issue_id: str, body: IssueNeedsIn, request: Request, services: Services, caller: CurrentIdentity
) -> IssueResult:
    version = await community.add_needs(
        services.runtime.unit_of_work(), issue_id, list(body.need_ids), body.version, caller, correlation_id_of(request)
    )
    return IssueResult(issue_id=issue_id, version=version)


@router.post("/{issue_id}/status", response_model=IssueResult, summary="地域課題の状態を進める")
async def change_issue_status(
    issue_id: str, body: IssueStatusIn, request: Request, services: Services, caller: CurrentIdentity
) -> IssueResult:
    version = await community.change_status(
        services.runtime.unit_of_work(), issue_id, body.to, body.version, caller, correlation_id_of(request)
    )
    return IssueResult(issue_id=issue_id, version=version)


@counts_router.get(
    "",
    response_model=Page[Need],
    summary="圏域のサービスがないニーズ(コーディネーター: 自分の圏域。閲覧は記録されます)",
)
async def list_needs(
    services: Services,
    caller: CurrentIdentity,
    window: Annotated[Window, Depends(paging(default=50, maximum=200))],
    gathered: Annotated[
        bool | None, Query(description="false: まだ地域課題にまとめていないもの、true: まとめたもの(省略時はすべて)")
    ] = None,
    area: Annotated[str | None, Query(max_length=40, description="圏域(監督者のみ。省略時はすべて)")] = None,
) -> Page[Need]:
    rows, total = await community.needs_listed(
        services.runtime.unit_of_work(), caller, area, gathered, window.offset, window.limit
    )
    items = [_need(r, r["case_number"]) for r in rows]
    return Page[Need](**page_of(window, items, total))


@counts_router.get(
    "/counts", response_model=list[NeedCount], summary="サービスがないニーズの件数(圏域・校区・分類別。監督者)"
)
async def need_counts(
    services: Services,
    caller: CurrentIdentity,
    area: Annotated[str | None, Query(max_length=40, description="圏域(省略時はすべて)")] = None,
) -> list[NeedCount]:
    rows = await community.need_counts(services.runtime.unit_of_work(), caller, area)
    return [NeedCount(**r) for r in rows]
