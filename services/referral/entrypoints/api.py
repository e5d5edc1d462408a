"""Referral's HTTP routes: parse, check the caller, call one handler, shape the answer."""

# No ``from __future__ import annotations`` here: the move routes are built in a loop and
# FastAPI must see their body types as real objects.

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from services.referral.domain.lifecycle import OPEN, TERMINAL, Action, Status
from services.referral.entrypoints.dependencies import Services
from services.referral.entrypoints.fhir import as_fhir_task
from services.referral.entrypoints.figures_csv import referral_figures_csv
from services.referral.entrypoints.schemas import (
    Disclosure,
    Disclosures,
    MoveIn,
    NoteMoveIn,
    OptionalReasonMoveIn,
    ReasonMoveIn,
    ReferralPage,
    ReferralView,
    ShareDecision,
)
from services.referral.entrypoints.views import agency_view, staff_view, summary
from services.referral.handlers import referrals as handlers
from services.referral.handlers.figures import referral_figures
from shared.calendar import BusinessCalendar
from shared.clock import as_utc, jst_text
from shared.http.app import CSV_RESPONSE, correlation_id_of
from shared.http.paging import Window, page_of, paging
from shared.identity import CurrentIdentity, Identity, require_role
from shared.periods import Month, PeriodKind

router = APIRouter(prefix="/v1", tags=["referrals"])


class FhirJSONResponse(JSONResponse):
    media_type = "application/fhir+json"  # so the OpenAPI document declares it, not application/json


ReferralId = Annotated[str, Path(min_length=1, max_length=64, description="紹介 id")]


@router.get(
    "/referrals",
    response_model=ReferralPage,
    summary="紹介の一覧 (agency: its inbox; coordinator: their area; supervisor: all)",
)
async def list_referrals(
    request: Request,
    services: Services,
    caller: CurrentIdentity,
    window: Annotated[Window, Depends(paging(default=50, maximum=200))],
    status: Annotated[list[Status] | None, Query(description="状態で絞り込み(複数可)")] = None,
    agency_id: Annotated[str | None, Query(max_length=64, description="機関で絞り込み(職員のみ)")] = None,
    area: Annotated[str | None, Query(max_length=40, description="圏域で絞り込み(管理者のみ)")] = None,
    case_id: Annotated[str | None, Query(max_length=64)] = None,
    open_only: Annotated[
        bool | None, Query(alias="open", description="true: 対応中のもの(未完了)だけ、false: 終了したものだけ")
    ] = None,
    overdue: Annotated[bool, Query(description="確認・回答の期限を過ぎたものだけ")] = False,
    sort: Annotated[
        Literal["received", "deadline"],
        Query(description="received: 新しい順 / deadline: 次の期限が近い順(期限のないものは後)"),
    ] = "received",
) -> ReferralPage:
    now = services.runtime.clock.now()
    statuses = None if status is None and open_only is None else {s.value for s in status or Status}
    if statuses is not None and open_only is not None:
        statuses &= {s.value for s in (OPEN if open_only else TERMINAL)}
    criteria = handlers.scoped_filter(
        caller,
        statuses=sorted(statuses) if statuses is not None else None,
        agency_id=agency_id,
        area=area,
        case_id=case_id,
        overdue_at=now if overdue else None,
        limit=window.limit,
        offset=window.offset,
        by_deadline=sort == "deadline",
    )
    found, total = await handlers.list_referrals(services.runtime.unit_of_work(), criteria)
    items = [summary(r, caller, services.reference.live, now, _calendar(services, r.agency_id)) for r in found]
    return ReferralPage(**page_of(window, items, total))


@router.get(
    "/referrals/disclosures",
    response_model=Disclosures,
    summary="開示の記録: 誰が紹介のどの共有項目をいつ見たか、各紹介の共有の判断(ケースごと・機関ごと)",
)
async def list_disclosures(
    request: Request,
    services: Services,
    caller: CurrentIdentity,
    window: Annotated[Window, Depends(paging(100, 500))],
    case_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    agency_id: Annotated[str | None, Query(min_length=1, max_length=64, description="機関ごとに見るとき")] = None,
) -> Disclosures:
    reads, total, decisions = await handlers.disclosures(
        services.runtime.unit_of_work(), caller, window, case_id=case_id, agency_id=agency_id
    )
    items = [
        Disclosure(
            referral_id=r.referral_id,
            agency_id=r.agency_id,
            reader_role=r.reader_role,
            reader_id=r.reader_id,
            fields=list(r.fields or []),
            read_at=as_utc(r.read_at),
            read_at_jst=jst_text(r.read_at),
        )
        for r in reads
    ]
    return Disclosures(
        **page_of(window, items, total),
        case_id=case_id,
        agency_id=agency_id,
        decisions=[
            ShareDecision(
                referral_id=d.id,
                case_id=d.case_id,
                agency_id=d.agency_id,
                fields_shared=sorted(d.shared or {}),
                fields_withheld=list(d.withheld or []),
                consent=d.consent,
                legal_ground=d.legal_ground,
                decided_by=d.requested_by,
                decided_at=as_utc(d.requested_at),
                decided_at_jst=jst_text(d.requested_at),
            )
            for d in decisions
        ],
    )


# Declared before /referrals/{referral_id}, which would otherwise take "figures" for an id.
@router.get(
    "/referrals/figures",
    responses=CSV_RESPONSE,
    summary="紹介の集計: 期限内に受諾された割合(機関の種別ごと、期間別)。format=csv で書き出し",
)
async def get_referral_figures(
    request: Request,
    services: Services,
    caller: CurrentIdentity,
    period: Annotated[
        PeriodKind, Query(description="集計期間: month(月)/ quarter(四半期)/ fiscal_year(年度、4月始まり)")
    ] = "month",
    at: Annotated[str | None, Query(description="期間内の任意の月 YYYY-MM(省略時は今月、日本時間)")] = None,
    format: Annotated[Literal["json", "csv"], Query(description="書き出し形式")] = "json",
) -> Response:
    month = Month.parse(at) if at is not None else None
    data = await referral_figures(services.runtime.unit_of_work(), caller, services.reference.current, period, month)
    if format == "csv":
        name = f"referral-figures-{period}-{data['period']['start'][:7]}.csv"
        return Response(
            referral_figures_csv(data).encode("utf-8-sig"),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )
    return JSONResponse(data)


@router.get(
    "/referrals/{referral_id}",
    response_model=ReferralView,
    summary="紹介の詳細 (an agency sees only what was shared with it)",
)
async def get_referral(
    referral_id: ReferralId, request: Request, services: Services, caller: CurrentIdentity
) -> ReferralView:
    detail = await handlers.referral_detail(
        services.runtime.unit_of_work(),
        referral_id,
        caller,
        days_after_completion=services.reference.agency_access_days_after_completion,
        correlation_id=correlation_id_of(request),
    )
    return _view(detail, caller, services)


@router.get(
    "/referrals/{referral_id}/fhir-task",
    summary="FHIR R4 Task 形式 (coordinators and supervisors)",
    response_class=FhirJSONResponse,
    response_description="FHIR R4 Task",
    responses={200: {"content": {"application/fhir+json": {"schema": {"type": "object"}}}}},
)
async def get_fhir_task(
    referral_id: ReferralId, request: Request, services: Services, caller: CurrentIdentity
) -> FhirJSONResponse:
    require_role(caller, "coordinator", "supervisor")
    detail = await handlers.referral_detail(
        services.runtime.unit_of_work(),
        referral_id,
        caller,
        days_after_completion=services.reference.agency_access_days_after_completion,
        correlation_id=correlation_id_of(request),
        view="fhir",
    )
    agency = services.reference.agency(detail.referral.agency_id)
    return FhirJSONResponse(as_fhir_task(detail.referral, agency.name if agency else None))


def _view(detail: handlers.ReferralDetail, caller: Identity, services: Services) -> ReferralView:
    now = services.runtime.clock.now()
    calendar = _calendar(services, detail.referral.agency_id)
    if caller.role == "agency":
        return agency_view(detail, services.reference.live, now, calendar)
    return staff_view(detail.referral, caller, services.reference.live, detail.history, now, calendar)


def _calendar(services: Services, agency_id: str) -> BusinessCalendar:
    """The agency's business calendar: its deadlines are counted in its business days."""
    agency = services.reference.agency(agency_id)
    return services.reference.followups.calendar(agency.calendar if agency else None)


MOVES: list[tuple[Action, type[MoveIn], str]] = [
    (Action.ACKNOWLEDGE, MoveIn, "確認した (agency opened it; FHIR: requested + businessStatus)"),
    (Action.ACCEPT, NoteMoveIn, "受諾する (agency; note optional)"),
    (Action.DECLINE, ReasonMoveIn, "辞退する (agency; reason required)"),
    (Action.START, MoveIn, "対応を開始する (agency)"),
    (Action.HOLD, OptionalReasonMoveIn, "保留にする (agency; reason optional)"),
    (Action.RESUME, MoveIn, "再開する (agency)"),
    (Action.COMPLETE, NoteMoveIn, "完了を報告する (agency; note optional)"),
    (Action.FAIL, ReasonMoveIn, "不成立を報告する (agency; reason required)"),
    (Action.CANCEL, ReasonMoveIn, "取り消す (coordinator of the referral's area; reason required)"),
]


def _register(action: Action, body_model: type[MoveIn], title: str) -> None:
    async def move(
        referral_id: ReferralId, body: MoveIn, request: Request, services: Services, caller: CurrentIdentity
    ) -> ReferralView:
        detail = await handlers.make_move(
            services.runtime.unit_of_work(),
            referral_id,
            action,
            caller,
            version=body.version,
            correlation_id=correlation_id_of(request),
            reason=getattr(body, "reason", None),
            note=getattr(body, "note", None),
            days_after_completion=services.reference.agency_access_days_after_completion,
        )
        return _view(detail, caller, services)

    move.__name__ = f"{action.value}_referral"
    # FastAPI parses the body as its annotation says: this move's own model (every one a MoveIn)
    move.__annotations__["body"] = body_model
    router.add_api_route(
        f"/referrals/{{referral_id}}/{action.value}", move, methods=["POST"], response_model=ReferralView, summary=title
    )


for _action, _body, _title in MOVES:
    _register(_action, _body, _title)
