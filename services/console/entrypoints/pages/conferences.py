"""会議 (ケース会議・地区推進会議・支援会議): the meetings a person may read, planning one
about a case, and one meeting's page — held, what was decided per case, sharing a case
with the participants (a 支援会議 under its duty of confidentiality), tasks and their
completion. Each form posts one command to the case service with the meeting's version;
a refusal shows the page again with the message next to the field and what was typed, a
stale version (409) says what changed meanwhile (as the case page's forms do). People
are shown by the names the console holds for their accounts."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.console.adapters.backend import ApiError
from services.console.entrypoints.formatting import jst_date
from services.console.entrypoints.pages.case import changed_since, check_case_id
from services.console.entrypoints.pages.case_commands import version_of
from services.console.entrypoints.pages.common import page, refusal_errors
from services.console.entrypoints.pages.helpers import names_of
from services.console.entrypoints.web import ConsoleDep, PageError, acting_as, redirect_response, render
from services.console.handlers.signin import SignedIn
from shared.events.referral import SHAREABLE_LABELS
from shared.http.app import correlation_id_of

router = APIRouter(include_in_schema=False)
Reader = Annotated[SignedIn, Depends(acting_as("coordinator", "supervisor", "agency"))]
Writer = Annotated[SignedIn, Depends(acting_as("coordinator", "agency", csrf=True))]
KINDS = [("ケース会議", "ケース会議"), ("地区推進会議", "地区推進会議"), ("支援会議", "支援会議(社会福祉法第106条の6)")]
OWNER_KINDS = {"coordinator": "コーディネーター", "helper": "地域の支援者", "agency": "関係機関"}
ID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")
ACTIONS = ("held", "minutes", "shares", "tasks", "done")
# What a form remembers of the meeting it was opened on, to say what changed meanwhile.
SEEN_FIELDS = {"status_label": "状態", "held_on": "開催日"}


def _id(value: str) -> str:
    if not ID.fullmatch(value):
        raise PageError(404, "会議が見つかりません", "この会議は見つかりません(または表示する権限がありません)。")
    return value


async def _list_page(
    request: Request, who: SignedIn, console: Any, *, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> Response:
    found = await console.backend.get(
        "case", "/v1/conferences", who, params={"per_page": 100}, correlation_id=correlation_id_of(request)
    )
    context = {
        "items": found.get("items", []),
        "values": values,
        "errors": errors,
        "kinds": KINDS,
        "agency_options": [(a.id, a.name) for a in console.reference.current.agencies],
        "writer": who.chosen is not None and who.chosen.grant.role == "coordinator",
    }
    return render(request, "conferences.html", await page(request, who, "会議", **context), status=status)


@router.get("/conferences")
async def conferences(request: Request, who: Reader, console: ConsoleDep) -> Response:
    case_id = request.query_params.get("case_id", "")
    values = {"case_id": check_case_id(case_id)} if case_id else {}
    return await _list_page(request, who, console, values=values, errors={})


@router.post("/conferences")
async def plan(request: Request, who: Writer, console: ConsoleDep) -> Response:
    form = await request.form()
    values: dict[str, Any] = {key: str(form.getlist(key)[-1]) for key in form}
    values["agencies"] = [str(a) for a in form.getlist("agencies")]
    accounts = [a for a in re.split(r"[\s,、]+", str(values.get("accounts", ""))) if a]
    body = {
        "kind": values.get("kind") or None,
        "title": values.get("title") or None,
        "held_on": values.get("held_on") or None,
        "case_ids": [values["case_id"]] if values.get("case_id") else [],
        "accounts": accounts,
        "agencies": values["agencies"],
    }
    try:
        made = await console.backend.post(
            "case", "/v1/conferences", who, body, correlation_id=correlation_id_of(request)
        )
    except ApiError as exc:
        errors = refusal_errors(exc, shown=(400, 404, 422))
        return await _list_page(request, who, console, values=values, errors=errors, status=exc.status)
    return redirect_response(request, f"/conferences/{made['conference_id']}?notice=conference_planned")


async def _meeting_page(
    request: Request,
    who: SignedIn,
    console: Any,
    conference_id: str,
    *,
    form: str = "",
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    minutes: dict[str, Any] | None = None,
    conflict: str | None = None,
) -> Response:
    minutes = minutes or await _minutes(request, who, console, conference_id)
    reference = console.reference.current
    names = {a.id: a.name for a in reference.agencies}
    people = await names_of(console, [*minutes["accounts"], *(t["owner_id"] for t in minutes["tasks"])])
    owners = [("agency:" + a, names.get(a, a)) for a in minutes["agencies"]]
    owners += [("coordinator:" + a, people.get(a, a)) for a in minutes["accounts"]]
    for case in minutes["cases"]:
        case["shared_rows"] = [(SHAREABLE_LABELS.get(k, k), _shown(v)) for k, v in (case.get("shared") or {}).items()]
    context = {
        "m": minutes,
        "form": form,
        "values": values or {},
        "errors": errors or {},
        "agency_names": names,
        "people": people,
        "seen": {name: minutes.get(name) or "" for name in SEEN_FIELDS},
        "conflict": conflict,
        "owner_options": owners,
        "owner_kinds": OWNER_KINDS,
        "case_options": [(c["case_id"], c["case_number"]) for c in minutes["cases"]],
        "share_options": list(SHAREABLE_LABELS.items()),
        "member_options": _member_options(minutes),
        "me": who.account_id,
        "my_agency": who.chosen.grant.scope if who.chosen and who.chosen.grant.role == "agency" else None,
    }
    return render(request, "conference.html", await page(request, who, "会議の記録", **context), status=status)


async def _minutes(request: Request, who: SignedIn, console: Any, conference_id: str) -> dict[str, Any]:
    found: dict[str, Any] = await console.backend.get(
        "case", f"/v1/conferences/{_id(conference_id)}", who, correlation_id=correlation_id_of(request)
    )
    return found


@router.get("/conferences/{conference_id}")
async def meeting(request: Request, conference_id: str, who: Reader, console: ConsoleDep) -> Response:
    return await _meeting_page(request, who, console, conference_id)


def _member_options(minutes: dict[str, Any]) -> list[tuple[str, str]]:
    """Whom a share may be about, for the share form: the household members the case
    service offers the person (of the discussed cases they may see themselves)."""
    return [
        (m["id"], f"ケース {c['case_number']} の{m['relation']}({m.get('age_group') or '年代不明'})")
        for c in minutes["cases"]
        for m in c.get("members") or []
    ]


def _shown(value: Any) -> str:
    """A shared value as people read it (a household as 続柄(年代), lists with 、)."""
    if value is None or value == [] or value == "":
        return "(記録なし)"
    if isinstance(value, list):
        return "、".join(
            f"{v.get('relation')}({v.get('age_group') or '年代不明'})" if isinstance(v, dict) else str(v) for v in value
        )
    return str(value)


def _body(action: str, form: Any, values: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The command's path under the meeting and its body, from the form."""
    if action == "held":
        return "held", {"held_on": values.get("held_on") or None}
    if action == "minutes":
        decisions = [
            {"case_id": key.removeprefix("decision_"), "decision": str(value).strip()}
            for key, value in values.items()
            if key.startswith("decision_") and str(value).strip()
        ]
        return "minutes", {"decisions": decisions}
    if action == "shares":
        values["fields"] = [str(f) for f in form.getlist("fields")]
        return "shares", {
            "case_id": values.get("share_case_id") or None,
            "fields": values["fields"],
            "member_id": values.get("share_member_id") or None,
        }
    if action == "tasks":
        kind, _, owner = str(values.get("owner", "")).partition(":")
        body = {"case_id": values.get("task_case_id") or None, "title": values.get("task_title") or None}
        return "tasks", {
            **body,
            "owner_kind": kind or None,
            "owner_id": owner or None,
            "due_on": values.get("due_on") or None,
        }
    return f"tasks/{_id(str(values.get('task_id', '')))}/done", {}


# The service's field names → the form's (errors go next to the field that was typed in).
FIELDS = {
    "case_id": {"shares": "share_case_id", "tasks": "task_case_id"},
    "title": {"tasks": "task_title"},
    "member_id": {"shares": "share_member_id"},
}


@router.post("/conferences/{conference_id}/{action}")
async def act(request: Request, conference_id: str, action: str, who: Writer, console: ConsoleDep) -> Response:
    if action not in ACTIONS:
        raise PageError(404, "ページが見つかりません", "このページはありません。")
    form = await request.form()
    values: dict[str, Any] = {key: str(form.getlist(key)[-1]) for key in form}
    path, body = _body(action, form, values)
    try:
        await console.backend.post(
            "case",
            f"/v1/conferences/{_id(conference_id)}/{path}",
            who,
            {**body, "version": version_of(values)},
            correlation_id=correlation_id_of(request),
        )
    except ApiError as exc:
        if exc.status not in (400, 403, 409, 422):
            raise
        stale = exc.status == 409 and exc.problem.get("current_version") not in (None, version_of(values))
        if stale:  # someone else recorded meanwhile: the page as it is now, what was typed kept
            minutes = await _minutes(request, who, console, conference_id)
            seen = {name: str(values.get(f"seen_{name}", "")) for name in SEEN_FIELDS}
            conflict = changed_since(
                seen, minutes, SEEN_FIELDS, "この会議", {"held_on": lambda v: jst_date(v) or "なし"}
            )
            return await _meeting_page(
                request,
                who,
                console,
                conference_id,
                form=action,
                values=values,
                status=409,
                minutes=minutes,
                conflict=conflict,
            )

        def named(api_name: str) -> str:
            name = api_name.split(".")[0]
            return FIELDS.get(name, {}).get(action, name)

        errors = refusal_errors(exc, shown=(400, 403, 409, 422), field=named)
        return await _meeting_page(
            request, who, console, conference_id, form=action, values=values, errors=errors, status=exc.status
        )
    return redirect_response(request, f"/conferences/{conference_id}?notice=conference_recorded#{action}")
