"""ケース: one case on one page — summary, every consultation, the household, likely
matches, triage, assignment, status moves (only the legal ones), consent, referrals with
their deadlines, the watch plan (見守り) and its check-ins, community helpers' tasks,
activities (活動), needs no service meets, contacts and notes; the timeline on a page of its own.

A form that fails is shown again with what the person typed and the message next to the
field; a form based on an old version shows what changed meanwhile and the current state
(see ``render_case``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any, get_args

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.console.adapters.backend import ApiError
from services.console.entrypoints.pages import activity_form
from services.console.entrypoints.pages.common import page
from services.console.entrypoints.pages.helpers import case_section
from services.console.entrypoints.pages.labels import CONSENTS, PRIORITIES, Labels
from services.console.entrypoints.web import Console, ConsoleDep, PageError, acting_as, render
from services.console.handlers.signin import SignedIn
from shared.events.watch import WATCHER_LABELS, CheckInKind, CheckInOutcome
from shared.http.app import correlation_id_of
from shared.reference import CITY_WIDE

router = APIRouter(include_in_schema=False)
Desk = Annotated[SignedIn, Depends(acting_as("coordinator", "supervisor"))]

CASE_ID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
CONTACT_CHANNELS = ("訪問", "電話", "来所", "メール", "オンライン", "同行", "ケース会議", "その他")
# 見守り: the choices of the watch forms (the case service's contract names them).
WATCHER_KINDS = list(WATCHER_LABELS.items())
WATCH_UNITS = [("days", "日ごと"), ("business_days", "営業日ごと")]
CHECKIN_KINDS = get_args(CheckInKind)
CHECKIN_OUTCOMES = get_args(CheckInOutcome)
# The check-in form's fields as the page names them (the contact and household forms
# already have an "outcome" and a "note" on the same page).
CHECKIN_FIELDS = {"kind": "checkin_kind", "outcome": "checkin_outcome", "note": "checkin_note"}
TASK_FIELDS = {"kind": "task_kind", "share": "task_share", "reason": "cancel_reason"}
NEED_FIELDS = {"category": "need_category", "missing": "need_missing", "school_district": "need_school_district"}
# The newest activities the case page lists (the rest: the timeline).
ACTIVITIES_SHOWN = 20
SHORT_REASON = "本人の同意か法的根拠がないため共有できません"
# What a stale form compares to say what changed meanwhile.
SEEN_FIELDS = {"status": "状態", "priority": "優先度", "coordinator_id": "担当", "consent": "本人同意"}


def check_case_id(case_id: str) -> str:
    if not CASE_ID.fullmatch(case_id):
        raise PageError(404, "ケースが見つかりません", "このケースは見つかりません(または表示する権限がありません)。")
    return case_id


async def load_case(request: Request, console: Console, who: SignedIn, case_id: str) -> dict[str, Any]:
    try:
        case: dict[str, Any] = await console.backend.get(
            "case", f"/v1/cases/{check_case_id(case_id)}", who, correlation_id=correlation_id_of(request)
        )
    except ApiError as exc:
        if exc.status in (403, 404):
            raise PageError(
                404, "ケースが見つかりません", "このケースは見つかりません(または表示する権限がありません)。"
            ) from exc
        raise
    return case


def seen_of(case: dict[str, Any]) -> dict[str, str]:
    """What a form remembers of the case it was opened on (to say what changed meanwhile)."""
    return {name: case.get(name) or "" for name in SEEN_FIELDS}


def allowed_statuses(case: dict[str, Any]) -> list[str]:
    """The moves the case service would accept now (it says which; the console never decides)."""
    return [m["status"] if isinstance(m, dict) else str(m) for m in case.get("allowed_statuses") or []]


def refer_options(case: dict[str, Any], labels: Labels) -> dict[str, Any]:
    """The refer form's choices: agencies serving the case's area (grouped by kind), and
    each shareable field as the case service rules it now (a field that needs consent or
    a legal ground is disabled with the reason beside it)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for agency in labels.reference.agencies:
        if case["area"] == CITY_WIDE or not agency.areas or case["area"] in agency.areas:
            groups.setdefault(agency.kind, []).append((agency.id, agency.name))
    options = case.get("share_options") or []
    reasons = {o.get("reason") for o in options if not o["allowed"]}
    # One reason for every refused field (the usual case: no consent): said once above
    # the fields, and in short beside each.
    shared_reason = reasons.pop() if len(reasons) == 1 else None
    shares = [
        {
            "value": o["field"],
            "text": o["label"],
            "disabled": not o["allowed"],
            "disabled_reason": SHORT_REASON if shared_reason and not o["allowed"] else o.get("reason"),
        }
        for o in options
    ]
    return {
        "agency_options": [{"group": kind, "options": options} for kind, options in groups.items()],
        "share_options": shares,
        "share_refusal": shared_reason,
    }


def what_changed(seen: dict[str, str], case: dict[str, Any], labels: Labels) -> str:
    """One sentence on what someone else changed since the form was opened."""
    return changed_since(seen, case, SEEN_FIELDS, "このケース", {"coordinator_id": labels.coordinator})


def changed_since(
    seen: dict[str, str],
    now: dict[str, Any],
    fields: dict[str, str],
    what: str,
    shown: dict[str, Callable[[Any], str]] | None = None,
) -> str:
    """What someone else changed of ``what`` (a case, a meeting) since the form was opened:
    each of ``fields`` (name → label) whose value ``seen`` (the form's ``seen_*`` fields)
    differs from ``now``, shown through ``shown``; else that records were added."""
    changes = []
    for name, label in fields.items():
        if name in seen and (seen[name] or None) != (now.get(name) or None):
            show = (shown or {}).get(name, lambda v: v or "なし")
            changes.append(f"{label}が「{show(seen[name] or None)}」から「{show(now.get(name))}」に")
    if changes:
        return "あなたがこのページを開いた後に、" + "、".join(changes) + "変わりました。"
    return f"あなたがこのページを開いた後に、{what}に記録が追加されました。"


async def render_case(
    request: Request,
    console: Console,
    who: SignedIn,
    case_id: str,
    *,
    case: dict[str, Any] | None = None,
    form: str | None = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    conflict: str | None = None,
    anchor: str | None = None,
    status: int = 200,
) -> Response:
    case = case or await load_case(request, console, who, case_id)
    if form == "checkin" and errors:
        errors = {CHECKIN_FIELDS.get(name, name): text for name, text in errors.items()}
    if form == "helper_task" and errors:
        errors = {TASK_FIELDS.get(name, name): text for name, text in errors.items()}
    if form == "need" and errors:
        errors = {NEED_FIELDS.get(name, name): text for name, text in errors.items()}
    if form == "activity" and errors:
        errors = activity_form.page_errors(errors)
    labels = Labels(console.reference.current)
    referrals = await console.backend.get_every(
        "referral", "/v1/referrals", who, 200, params={"case_id": case["id"]}, correlation_id=correlation_id_of(request)
    )
    deadlines = {r["id"]: r.get("next_deadline") for r in referrals.get("items", [])}
    watch = await console.backend.get(
        "case", f"/v1/cases/{case['id']}/watch", who, correlation_id=correlation_id_of(request)
    )
    activities = await console.backend.get(
        "case",
        f"/v1/cases/{case['id']}/activities",
        who,
        params={"per_page": ACTIVITIES_SHOWN},
        correlation_id=correlation_id_of(request),
    )
    unmet_needs = await console.backend.get(
        "case", f"/v1/cases/{case['id']}/unmet-needs", who, correlation_id=correlation_id_of(request)
    )
    writer = who.chosen is not None and who.chosen.grant.role == "coordinator"
    context = {
        "case": case,
        "labels": labels,
        "deadlines": deadlines,
        "writer": writer,
        "me": who.account_id,
        "form": form,
        "values": values or {},
        "errors": errors or {},
        "conflict": conflict,
        "anchor": anchor,
        "open_section": request.query_params.get("open"),
        "colleagues": labels.coordinators_of(case["area"]),
        "status_options": [(s, s) for s in allowed_statuses(case)],
        "priority_options": [(p, p) for p in PRIORITIES],
        "consent_options": [(c, c) for c in CONSENTS],
        "contact_channels": [(c, c) for c in CONTACT_CHANNELS],
        "watch": watch,
        "activities": activities,
        "unmet_needs": unmet_needs,
        "need_district_options": labels.district_options(case["area"])[:-1],  # not 不明
        **activity_form.choices(labels, case["area"]),
        "watcher_kinds": WATCHER_KINDS,
        "watch_units": WATCH_UNITS,
        "checkin_kinds": [(k, k) for k in CHECKIN_KINDS],
        "checkin_outcomes": [(o, o) for o in CHECKIN_OUTCOMES],
        "category_options": labels.category_options(),
        "age_group_options": [(a.id, a.name) for a in labels.reference.age_groups],
        "household_options": [
            (m["id"], f"{m['relation']}({m.get('age_group') or '年代不明'})") for m in case.get("household", [])
        ],
        "seen": seen_of(case),
        **refer_options(case, labels),
        **await case_section(request, console, who, case),
    }
    title = f"ケース {case['case_number']}"
    return render(request, "case.html", await page(request, who, title, **context), status=status)


@router.get("/cases/{case_id}")
async def case_page(request: Request, case_id: str, who: Desk, console: ConsoleDep) -> Response:
    return await render_case(request, console, who, case_id)
