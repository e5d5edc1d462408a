"""Reads over HTTP: the queue, search, a case, its timeline (JSON, CSV) and the PDCA figures."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from services.case.adapters.reads import ReadOrder
from services.case.domain.status import STATUSES
from services.case.entrypoints import views
from services.case.entrypoints.dependencies import Services
from services.case.entrypoints.figures_csv import period_figures_csv
from services.case.entrypoints.schemas import CaseDetail, Queue, Reads, SearchResult, Timeline, TimelineVerification
from services.case.handlers import figures as figures_handler
from services.case.handlers import queries, reads, search
from services.case.handlers.period_figures import period_figures
from services.case.handlers.verification import verification_of
from shared.errors import InvalidInput
from shared.http.app import CSV_RESPONSE
from shared.http.paging import Window, page_of, paging
from shared.http.text import MAX_DAYS
from shared.identity import CurrentIdentity
from shared.periods import Month, PeriodKind
from shared.reference import UNKNOWN_DISTRICT

router = APIRouter(prefix="/v1", tags=["cases"])
PAGING_PARAMS = ("page", "per_page", "limit", "offset", "cursor")
PAGE_FIELDS = {"total", "page", "per_page", "offset", "limit", "next_cursor"}
SEARCH_PAGE, SEARCH_PAGE_MAX = 50, 100
ReadOrderQuery = Annotated[
    ReadOrder, Query(description="並び順: oldest(古い順、既定)/ newest(新しい順。最近の閲覧を先に見るとき)")
]


@router.get("/cases", response_model=Queue, summary="ケースの一覧(キュー)")
async def list_cases(
    request: Request,
    services: Services,
    caller: CurrentIdentity,
    window: Annotated[Window, Depends(paging(default=50, maximum=100, keyset=True))],
    view: Annotated[Literal["unassigned", "mine", "all"], Query(description="未割当 / 自分の担当 / すべて")] = "all",
    status: Annotated[list[str] | None, Query(description="状態(複数可、省略時は終結以外)")] = None,
    priority: Annotated[list[Literal["緊急", "高", "通常"]] | None, Query()] = None,
    category: Annotated[list[str] | None, Query(description="相談分類(いずれかを含む)")] = None,
    school_district: Annotated[list[str] | None, Query(description="小学校区の id(複数可、いずれか)")] = None,
    area: Annotated[str | None, Query(max_length=40)] = None,
    min_age_days: Annotated[int | None, Query(ge=0, le=MAX_DAYS)] = None,
    max_age_days: Annotated[int | None, Query(ge=0, le=MAX_DAYS)] = None,
    needs_attention: bool | None = None,
) -> Queue:
    unknown = [s for s in status or [] if s not in STATUSES]
    if unknown:
        raise InvalidInput(f"状態 {unknown} はありません(使える値: {' / '.join(STATUSES)})。", field="status")
    reference = services.reference
    unknown = [d for d in school_district or [] if d != UNKNOWN_DISTRICT and reference.school_district(d) is None]
    if unknown:
        raise InvalidInput(
            f"小学校区 {unknown} は登録されていません(分からない場合は「{UNKNOWN_DISTRICT}」)。",
            field="school_district",
        )
    query = queries.QueueQuery(
        view=view,
        statuses=tuple(status or ()),
        priorities=tuple(priority or ()),
        categories=tuple(category or ()),
        school_districts=tuple(school_district or ()),
        area=area,
        min_age_days=min_age_days,
        max_age_days=max_age_days,
        needs_attention=needs_attention,
        offset=window.offset,
        limit=window.limit,
        after=window.after,
    )
    calendar = reference.current.followups.calendar(None)
    result = await queries.queue(services.runtime.read_unit_of_work(), query, caller, calendar)
    items = [views.summary(c, result["now"]) for c in result["items"]]
    return Queue(**page_of(window, items, result["total"], result["last_key"]), counts=result["counts"])


# Declared before /cases/{case_id}, which would otherwise take "search" for a case id.
@router.get(
    "/cases/search",
    response_model=SearchResult,
    summary="ケースを探す(ケース番号・受付番号・氏名またはふりがなの完全一致)",
)
async def search_cases(
    request: Request,
    services: Services,
    caller: CurrentIdentity,
    q: Annotated[str, Query(description="ケース番号 (K-…)、受付番号 (TSN-…)、または氏名・ふりがな")],
    window: Annotated[Window, Depends(paging(SEARCH_PAGE, SEARCH_PAGE_MAX))],
) -> SearchResult:
    result = await search.search(services.runtime.unit_of_work(), services.match_keys, q, caller, window)
    items = [views.summary(c, result["now"]) for c in result["items"]]
    return SearchResult(
        **page_of(window, items, result["total"]), query=result["query"], matched_by=result["matched_by"]
    )


@router.get("/cases/{case_id}", response_model=CaseDetail, summary="ケースの詳細")
async def get_case(case_id: str, request: Request, services: Services, caller: CurrentIdentity) -> CaseDetail:
    uow = services.runtime.unit_of_work()
    reference = services.reference.current
    case = await queries.case_detail(
        uow,
        case_id,
        caller,
        reference.followups.calendar(None),
        close_by_approval=reference.approvals.close_with_open_work.required,
    )
    return views.detail(case, uow.clock.now())


@router.get(
    "/cases/{case_id}/timeline",
    response_model=Timeline,
    responses=CSV_RESPONSE,
    summary="ケースの経過(全サービスのイベント)。format=csv / json で書き出し",
)
async def get_timeline(
    case_id: str,
    request: Request,
    services: Services,
    caller: CurrentIdentity,
    window: Annotated[Window, Depends(paging(default=100, maximum=500, keyset=True))],
    kind: Annotated[
        list[str] | None,
        Query(
            description="種類: consultation / case / referral / notification / followup、または referral.accepted など"
        ),
    ] = None,
    format: Annotated[Literal["json", "csv"] | None, Query(description="書き出し形式")] = None,
) -> Response:
    kinds = [k.strip() for part in kind or [] for k in part.split(",") if k.strip()]
    # Without paging parameters: every entry (the audit view and its exports need the whole chain).
    paged = format is None and any(p in request.query_params for p in PAGING_PARAMS)
    result = await queries.timeline_of(
        services.runtime.unit_of_work(),
        case_id,
        kinds,
        caller,
        what=f"export-{format}" if format else "timeline",
        window=window if paged else None,
    )
    view = views.timeline(result["case"], result["entries"])
    if paged:
        fields = page_of(window, view.items, result["total"], result["last_key"])
        view = view.model_copy(update={k: v for k, v in fields.items() if k != "items"})
    if format is None:
        return JSONResponse(view.model_dump(mode="json", exclude=None if paged else PAGE_FIELDS))
    filename = f"timeline-{view.case_number}.{format}"
    disposition = {"content-disposition": f'attachment; filename="{filename}"'}
    if format == "csv":
        return StreamingResponse(views.timeline_csv(view), media_type="text/csv; charset=utf-8", headers=disposition)
    return JSONResponse(view.model_dump(mode="json"), headers=disposition)


@router.get(
    "/cases/{case_id}/verification",
    response_model=TimelineVerification,
    summary="経過のハッシュチェーンの検証結果(統合されたケースの経過を含む)",
)
async def get_verification(case_id: str, request: Request, services: Services, caller: CurrentIdentity) -> dict:
    return await verification_of(services.runtime.unit_of_work(), services.chain.key, case_id, caller)


@router.get(
    "/cases/{case_id}/reads",
    response_model=Reads,
    responses=CSV_RESPONSE,
    summary="ケースの閲覧記録(誰が、いつ、どの画面で。紹介の閲覧を含む)。format=csv で書き出し",
)
async def get_reads(
    case_id: str,
    request: Request,
    services: Services,
    caller: CurrentIdentity,
    window: Annotated[Window, Depends(paging(default=100, maximum=1000))],
    format: Annotated[Literal["json", "csv"], Query(description="書き出し形式")] = "json",
    order: ReadOrderQuery = "oldest",
) -> Response:
    rows, total = await reads.reads_of_case(services.runtime.unit_of_work(), case_id, caller, window, order)
    return _reads_answer(window, rows, total, format, f"reads-{case_id}.csv")


@router.get(
    "/reads",
    response_model=Reads,
    responses=CSV_RESPONSE,
    summary="人ごとの閲覧記録: その人が読んだケース・紹介(監督者のみ)。format=csv で書き出し",
)
async def get_reads_of_person(
    request: Request,
    services: Services,
    caller: CurrentIdentity,
    reader_id: Annotated[str, Query(min_length=1, max_length=128, description="読んだ人のアカウント id")],
    window: Annotated[Window, Depends(paging(default=100, maximum=1000))],
    format: Annotated[Literal["json", "csv"], Query(description="書き出し形式")] = "json",
    order: ReadOrderQuery = "oldest",
) -> Response:
    rows, total = await reads.reads_of_person(services.runtime.unit_of_work(), reader_id, caller, window, order)
    return _reads_answer(window, rows, total, format, "reads-by-person.csv")


def _reads_answer(window: Window, rows: list[dict], total: int, format: str, filename: str) -> Response:
    items = [reads.shaped(r) for r in rows]
    if format == "csv":
        return Response(
            views.reads_csv(items).encode("utf-8-sig"),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{filename}"'},
        )
    return JSONResponse(Reads(**page_of(window, items, total)).model_dump(mode="json"))


@router.get(
    "/figures", responses=CSV_RESPONSE, summary="PDCA の数値(監督者向け)。period で期間別、format=csv で書き出し"
)
async def get_figures(
    request: Request,
    services: Services,
    caller: CurrentIdentity,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
    period: Annotated[
        PeriodKind | None,
        Query(
            description="集計期間: month(月)/ quarter(四半期)/ fiscal_year(年度、4月始まり)。"
            "省略時(at もなし)は全期間の累計"
        ),
    ] = None,
    at: Annotated[str | None, Query(description="期間内の任意の月 YYYY-MM(省略時は今月、日本時間)")] = None,
) -> Response:
    if period is None and at is None:
        figures = await figures_handler.figures(
            services.runtime.read_unit_of_work(), caller, services.reference.current
        )
        name, as_csv = "figures", figures_handler.figures_csv
    else:
        month = Month.parse(at) if at is not None else None
        figures = await period_figures(
            services.runtime.read_unit_of_work(), caller, services.reference.current, period or "month", month
        )
        name, as_csv = f"figures-{period or 'month'}-{figures['period']['start'][:7]}", period_figures_csv
    if format == "csv":
        return Response(
            as_csv(figures).encode("utf-8-sig"),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{name}.csv"'},
        )
    return JSONResponse(figures)
