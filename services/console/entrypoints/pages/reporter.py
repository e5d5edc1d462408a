"""相談する / わたしの相談: a reporter raises a consultation (a form that works on a
phone and without JavaScript) and follows the stage of what they raised — the stage
only (受付済 / 対応中 / つなぎ済 / 終結), never the case."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from services.console.adapters.backend import ApiError
from services.console.entrypoints.pages.common import page, pager, refusal_errors
from services.console.entrypoints.web import ConsoleDep, PageError, acting_as, redirect_response, render
from services.console.handlers.signin import SignedIn
from shared.http.app import correlation_id_of
from shared.reference import UNKNOWN_DISTRICT, ReferenceData

router = APIRouter(include_in_schema=False)
Reporter = Annotated[SignedIn, Depends(acting_as("reporter"))]
Submitting = Annotated[SignedIn, Depends(acting_as("reporter", csrf=True))]

URGENCY = (
    ("通常", "通常", None),
    ("高", "高(早めの対応が必要)", None),
    (
        "緊急",
        "緊急(命や安全に関わる)",
        "すぐに対応が必要なとき。急を要する場合は、ためらわず110番・119番にも連絡してください。",
    ),
)
CONSENT = (
    ("同意あり", "本人が相談に同意している", None),
    ("同意なし", "本人は同意していない", None),
    ("未確認", "まだ確かめていない", None),
)
HOUSEHOLD_ROWS, MAX_HOUSEHOLD = 2, 20
CHOICES = {"reporter_role", "channel", "school_district", "urgency", "consent"}  # an empty one: 「選んでください」
REFERENCE_NUMBER = re.compile(r"^[A-Za-z0-9-]{4,32}$")
# The form's Idempotency-Key, made when it is shown: sending it twice raises one consultation.
FORM_KEY = re.compile(r"^[0-9a-f]{32}$")
PER_PAGE = 20
FIELD_LABELS = {
    "reporter_role": "あなたの立場",
    "channel": "どのように知りましたか",
    "person.name": "氏名",
    "person.name_kana": "ふりがな",
    "person.age_group": "年代",
    "school_district": "小学校区",
    "person.approximate_place": "おおよその場所",
    "categories": "困りごと",
    "noticed": "気づいたこと",
    "urgency": "急ぎ具合",
    "consent": "本人の同意",
    "legal_ground": "同意がなくても相談する理由",
}


def form_options(reference: ReferenceData) -> dict[str, Any]:
    return {
        "reporter_roles": [(r.id, r.name) for r in reference.reporter_roles],
        "channels": [(c.id, c.name) for c in reference.channels],
        "districts": [(d.id, d.name) for d in reference.school_districts] + [(UNKNOWN_DISTRICT, "分からない")],
        "categories": [(c.id, c.name) for c in reference.categories],
        "age_groups": [(a.id, a.name) for a in reference.age_groups],
        "urgency_options": [{"value": v, "text": t, "hint": h} for v, t, h in URGENCY],
        "consent_options": [{"value": v, "text": t, "hint": h} for v, t, h in CONSENT],
    }


def _household(values: dict[str, Any], rows: int) -> list[dict[str, str]]:
    members = []
    for i in range(rows):
        member = {k: str(values.get(f"household.{i}.{k}") or "").strip() for k in ("relation", "age_group", "name")}
        members.append(member)
    return members


def body_of(values: dict[str, Any], rows: int) -> dict[str, Any]:
    """The consultation as intake takes it; empty optional fields are left out."""

    def text(name: str) -> str | None:
        return str(values.get(name) or "").strip() or None

    person = {k: text(f"person.{k}") for k in ("name", "name_kana", "age_group", "approximate_place")}
    household = [{k: v or None for k, v in m.items()} for m in _household(values, rows) if m["relation"]]
    return {
        "reporter_role": text("reporter_role") or "",
        "channel": text("channel") or "",
        "person": {k: v for k, v in person.items() if v is not None},
        "school_district": text("school_district") or "",
        "household": household,
        "categories": values.get("categories") or [],
        "noticed": text("noticed") or "",
        "urgency": text("urgency") or "",
        "consent": text("consent") or "",
        "legal_ground": text("legal_ground"),
    }


async def _form_page(
    request: Request,
    console: Any,
    who: SignedIn,
    values: dict[str, Any],
    rows: int,
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    default_kind = who.chosen.grant.kind if who.chosen else None
    context = {
        "values": values,
        "errors": errors,
        "rows": rows,
        "household": _household(values, rows),
        "default_role": default_kind,
        "field_labels": FIELD_LABELS,
        **form_options(console.reference.current),
    }
    return render(request, "report.html", await page(request, who, "相談する", **context), status=status)


@router.get("/report")
async def report_form(request: Request, who: Reporter, console: ConsoleDep) -> Response:
    return await _form_page(request, console, who, {"idempotency_key": uuid.uuid4().hex}, HOUSEHOLD_ROWS, {})


@router.post("/report")
async def report(request: Request, who: Submitting, console: ConsoleDep) -> Response:
    form = await request.form()
    values: dict[str, Any] = {k: (form.getlist(k) if k == "categories" else form.get(k)) for k in form}
    rows = min(
        max(
            int(str(values.get("rows") or HOUSEHOLD_ROWS))
            if str(values.get("rows") or "").isdigit()
            else HOUSEHOLD_ROWS,
            1,
        ),
        MAX_HOUSEHOLD,
    )
    if values.get("add_row"):  # 「世帯の人を増やす」: the same form with one more row, nothing sent
        return await _form_page(request, console, who, values, min(rows + 1, MAX_HOUSEHOLD), {})
    key = str(values.get("idempotency_key") or "")
    try:
        receipt = await console.backend.post(
            "intake",
            "/v1/consultations",
            who,
            body_of(values, rows),
            correlation_id=correlation_id_of(request),
            idempotency_key=key if FORM_KEY.fullmatch(key) else None,
        )
    except ApiError as exc:
        # intake names each field by its place in the body (household.0.relation): the form's names.
        errors = refusal_errors(exc, shown=(400, 409, 422, 429))
        for name in CHOICES & errors.keys():
            if not values.get(name):
                errors[name] = "選んでください"
        # Nothing was raised: the corrected form is a new submission.
        values["idempotency_key"] = uuid.uuid4().hex
        status = exc.status if exc.status in (409, 429) else 422
        return await _form_page(request, console, who, values, rows, errors, status=status)
    return redirect_response(request, f"/my/{receipt['reference']}?notice=submitted")


@router.get("/my")
async def my_consultations(
    request: Request,
    who: Reporter,
    console: ConsoleDep,
    page_no: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1,
) -> Response:
    listing = await console.backend.get(
        "intake",
        "/v1/consultations",
        who,
        params={"page": page_no, "per_page": PER_PAGE},
        correlation_id=correlation_id_of(request),
    )
    context = {"listing": listing, "pager": pager(page_no, PER_PAGE, int(listing.get("total", 0)), "/my", [])}
    return render(request, "my.html", await page(request, who, "わたしの相談", **context))


@router.get("/my/{reference}")
async def my_consultation(request: Request, reference: str, who: Reporter, console: ConsoleDep) -> Response:
    if not REFERENCE_NUMBER.fullmatch(reference):
        raise PageError(404, "相談が見つかりません", "この受付番号の相談は見つかりません。番号を確かめてください。")
    try:
        status = await console.backend.get(
            "intake", f"/v1/consultations/{reference}", who, correlation_id=correlation_id_of(request)
        )
    except ApiError as exc:
        if exc.status == 404:
            raise PageError(404, "相談が見つかりません", exc.detail) from exc
        raise
    submitted = request.query_params.get("notice") == "submitted"
    context = {"status": status, "submitted": submitted}
    return render(request, "my_one.html", await page(request, who, "相談の状況", **context))
