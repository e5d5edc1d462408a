"""検索: a case by its case number, a consultation's reference number, or a person's
name in kanji or furigana (the case service matches keyed keys, never plain names).
A number that finds exactly one case opens it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from services.console.adapters.backend import ApiError
from services.console.entrypoints.pages.common import page, pager
from services.console.entrypoints.pages.labels import Labels
from services.console.entrypoints.web import ConsoleDep, acting_as, redirect_response, render
from services.console.handlers.signin import SignedIn
from shared.http.app import correlation_id_of

router = APIRouter(include_in_schema=False)
Searcher = Annotated[SignedIn, Depends(acting_as("coordinator", "supervisor"))]
MATCHED_BY = {"case_number": "ケース番号", "reference": "受付番号", "name": "氏名・ふりがな"}
PER_PAGE = 50


@router.get("/search")
async def search(
    request: Request,
    who: Searcher,
    console: ConsoleDep,
    q: str = "",
    page_no: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1,
) -> Response:
    query = q.strip()[:100]
    result, error = None, None
    if not query:
        error = "ケース番号・受付番号・氏名のどれかを入力してください。"
    else:
        try:
            result = await console.backend.get(
                "case",
                "/v1/cases/search",
                who,
                params={"q": query, "page": page_no, "per_page": PER_PAGE},
                correlation_id=correlation_id_of(request),
            )
        except ApiError as exc:
            error = next(iter(exc.field_errors().values()), exc.detail)
    if result and result.get("matched_by") in ("case_number", "reference") and len(result.get("items", [])) == 1:
        return redirect_response(request, f"/cases/{result['items'][0]['id']}")
    context = {
        "q": query,
        "result": result,
        "error": error,
        "labels": Labels(console.reference.current),
        "matched_by": MATCHED_BY.get((result or {}).get("matched_by") or "", ""),
        "me": who.account_id,
        "pager": pager(page_no, PER_PAGE, int((result or {}).get("total", 0)), "/search", [("q", query)]),
    }
    # The query is not put in the title: a name must not reach the browser's history list.
    return render(
        request,
        "search.html",
        await page(request, who, "検索", search_q=query, **context),
        status=422 if error and query else 200,
    )
