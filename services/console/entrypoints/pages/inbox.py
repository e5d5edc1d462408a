"""届いた依頼 / 依頼: the agency's desk. The inbox puts what is late first, then what is
new, what awaits a decision and what is in hand, each with its deadline in business days
(緊急: hours). A referral's page shows only what was shared (while the agency may still
read it), the purpose, whom to call back, every move so far, and only the moves allowed
now; a printable 情報提供書 for working from paper."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from services.console.adapters.backend import ApiError
from services.console.entrypoints.pages.common import page, pager
from services.console.entrypoints.pages.labels import Labels
from services.console.entrypoints.web import Console, ConsoleDep, PageError, acting_as, redirect_response, render
from services.console.handlers.signin import SignedIn
from shared.events.referral import SHAREABLE_FIELDS, SHAREABLE_LABELS
from shared.http.app import correlation_id_of

router = APIRouter(include_in_schema=False)
Agency = Annotated[SignedIn, Depends(acting_as("agency"))]
AgencyAction = Annotated[SignedIn, Depends(acting_as("agency", csrf=True))]

REFERRAL_ID = re.compile(r"^[0-9A-Za-z_-]{1,64}$")
# The agency's moves, in the order a referral usually takes them; the primary one first.
MOVES = {
    "acknowledge": "確認した",
    "accept": "受諾する",
    "start": "対応を開始する",
    "complete": "完了を報告する",
    "resume": "再開する",
    "hold": "保留にする",
    "decline": "辞退する",
    "fail": "不成立を報告する",
}
REASON_REQUIRED = {"decline", "fail"}
REASON_OPTIONAL = {"hold"}
NOTE_OPTIONAL = {"accept", "complete"}
TEXT_LABELS = {
    "decline": "辞退する理由",
    "fail": "不成立の理由",
    "hold": "保留の理由(任意)",
    "accept": "受諾にあたってのメモ(任意)",
    "complete": "完了の報告(任意)",
}
GROUPS = (
    ("overdue", "期限超過"),
    ("received", "新着(未確認)"),
    ("acknowledged", "判断待ち"),
    ("in_hand", "対応中・保留中"),
)
ACTION_WORDS = {
    "deliver": "受信",
    "acknowledge": "確認",
    "accept": "受諾",
    "decline": "辞退",
    "start": "対応開始",
    "hold": "保留",
    "resume": "再開",
    "complete": "完了",
    "fail": "不成立",
    "cancel": "取消",
    "undeliverable": "配信不能",
}


def _group(referral: dict[str, Any]) -> str:
    due = referral.get("next_deadline")
    if due and due.get("overdue"):
        return "overdue"
    return referral["status"] if referral["status"] in ("received", "acknowledged") else "in_hand"


# Deadline order across pages: the most pressing referrals are always on the first.
PER_PAGE = 100


@router.get("/inbox")
async def inbox(
    request: Request,
    who: Agency,
    console: ConsoleDep,
    closed: str = "",
    page_no: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1,
) -> Response:
    show_closed = closed == "1"
    found = await console.backend.get(
        "referral",
        "/v1/referrals",
        who,
        params={
            "open": "false" if show_closed else "true",
            "sort": "deadline",
            "per_page": PER_PAGE,
            "page": page_no,
        },
        correlation_id=correlation_id_of(request),
    )
    groups: dict[str, list[dict[str, Any]]] = {key: [] for key, _ in GROUPS}
    for referral in found.get("items", []):
        groups[_group(referral)].append(referral)
    listing = pager(page_no, PER_PAGE, int(found.get("total", 0)), "/inbox", [("closed", "1")] if show_closed else [])
    context = {"referrals": found, "show_closed": show_closed, "groups": GROUPS, "grouped": groups, "pager": listing}
    return render(request, "inbox.html", await page(request, who, "届いた依頼", **context))


def check_referral_id(referral_id: str) -> str:
    if not REFERRAL_ID.fullmatch(referral_id):
        raise PageError(404, "依頼が見つかりません", "この依頼は見つかりません(または表示する権限がありません)。")
    return referral_id


async def load_referral(request: Request, console: Console, who: SignedIn, referral_id: str) -> dict[str, Any]:
    try:
        found: dict[str, Any] = await console.backend.get(
            "referral",
            f"/v1/referrals/{check_referral_id(referral_id)}",
            who,
            correlation_id=correlation_id_of(request),
        )
    except ApiError as exc:
        if exc.status in (403, 404):
            raise PageError(
                404, "依頼が見つかりません", "この依頼は見つかりません(または表示する権限がありません)。"
            ) from exc
        raise
    return found


def shared_rows(shared: dict[str, Any], labels: Labels) -> list[tuple[str, str]]:
    """What was shared, in the contract's order, as the page words each value."""

    def words(field: str, value: Any) -> str:
        if field == "school_district":
            return labels.district(value)
        if field == "categories":
            return labels.categories(value or [])
        if field == "household":
            return "、".join(f"{m.get('relation')}({m.get('age_group') or '年代不明'})" for m in value or [])
        return str(value)

    return [(SHAREABLE_LABELS[f], words(f, shared[f])) for f in SHAREABLE_FIELDS if f in shared]


async def render_referral(
    request: Request,
    console: Console,
    who: SignedIn,
    referral_id: str,
    *,
    referral: dict[str, Any] | None = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    conflict: str | None = None,
    status: int = 200,
    template: str = "referral.html",
) -> Response:
    referral = referral or await load_referral(request, console, who, referral_id)
    labels = Labels(console.reference.current)
    moves = [(action, MOVES[action]) for action in MOVES if action in referral.get("allowed_actions", [])]
    context = {
        "referral": referral,
        "rows": shared_rows(referral.get("shared") or {}, labels),
        "moves": moves,
        "reason_required": REASON_REQUIRED,
        "text_labels": TEXT_LABELS,
        "values": values or {},
        "errors": errors or {},
        "conflict": conflict,
        "action_words": ACTION_WORDS,
        "agency_name": labels.agency(who.chosen.grant.scope if who.chosen else None),
    }
    title = f"依頼 {referral['case_number']}"
    return render(request, template, await page(request, who, title, **context), status=status)


@router.get("/inbox/{referral_id}")
async def referral_page(request: Request, referral_id: str, who: Agency, console: ConsoleDep) -> Response:
    return await render_referral(request, console, who, referral_id)


@router.get("/inbox/{referral_id}/print")
async def referral_print(request: Request, referral_id: str, who: Agency, console: ConsoleDep) -> Response:
    """情報提供書: the same facts on paper (print stylesheet), for an office without the console."""
    return await render_referral(request, console, who, referral_id, template="referral_print.html")


@router.post("/inbox/{referral_id}/{action}")
async def move(request: Request, referral_id: str, action: str, who: AgencyAction, console: ConsoleDep) -> Response:
    if action not in MOVES:
        raise PageError(404, "ページが見つかりません", "この操作はありません。")
    form = await request.form()
    values = {k: str(v) for k, v in form.items()}
    version = int(values["version"]) if values.get("version", "").isdigit() else -1
    body: dict[str, Any] = {"version": version}
    text = values.get(f"text-{action}", "").strip()
    if action in REASON_REQUIRED | REASON_OPTIONAL:
        body["reason"] = text or None
    elif action in NOTE_OPTIONAL:
        body["note"] = text or None
    if action in REASON_REQUIRED and not text:
        return await render_referral(
            request,
            console,
            who,
            referral_id,
            values=values,
            errors={f"text-{action}": "理由を入力してください。"},
            status=422,
        )
    try:
        await console.backend.post(
            "referral",
            f"/v1/referrals/{check_referral_id(referral_id)}/{action}",
            who,
            body,
            correlation_id=correlation_id_of(request),
        )
    except ApiError as exc:
        if exc.status == 409:
            current = await load_referral(request, console, who, referral_id)
            return await render_referral(
                request,
                console,
                who,
                referral_id,
                referral=current,
                values=values,
                status=409,
                conflict=f"他の人がこの依頼を先に更新しました(いまの状態: {current['status_label']})。"
                "最新の内容を表示しています。入力した内容は残してあります。",
            )
        if exc.status in (400, 422):
            errors = {f"text-{action}": message for message in exc.field_errors().values()} or {"_form": exc.detail}
            return await render_referral(request, console, who, referral_id, values=values, errors=errors, status=422)
        raise
    return redirect_response(request, f"/inbox/{referral_id}?notice=referral_{action}")
