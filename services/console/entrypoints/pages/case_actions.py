"""The case page's forms. Each posts one command to the case service with the version
the page showed; success goes back to the case (a notice, the section in view), a
refusal shows the page again with the message next to the field and what was typed, a
stale version (409) says what changed meanwhile."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.console.adapters.backend import ApiError
from services.console.entrypoints.formatting import parse_datetime_local
from services.console.entrypoints.pages import activity_form
from services.console.entrypoints.pages.approvals import approval_request_page
from services.console.entrypoints.pages.case import SEEN_FIELDS, check_case_id, load_case, render_case, what_changed
from services.console.entrypoints.pages.common import refusal_errors
from services.console.entrypoints.pages.labels import Labels
from services.console.entrypoints.web import Console, ConsoleDep, acting_as, redirect_response
from services.console.handlers.signin import SignedIn
from shared.http.app import correlation_id_of

router = APIRouter(include_in_schema=False)
CaseWork = Annotated[SignedIn, Depends(acting_as("coordinator", csrf=True))]


class FormProblem(Exception):
    """A field the console itself cannot send (e.g. a date it cannot read)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


async def read_form(request: Request) -> dict[str, Any]:
    form = await request.form()
    values: dict[str, Any] = {}
    for key in form:
        items = [str(v) for v in form.getlist(key)]
        values[key] = items if key in ("categories", "share", "task_share") else items[-1]
    return values


def version_of(values: dict[str, Any]) -> int:
    raw = str(values.get("version", ""))
    return int(raw) if raw.isdigit() and 0 < int(raw) < 2**31 else 0


Rerender = Callable[..., Awaitable[Response]]


async def answer_refusal(
    request: Request,
    console: Console,
    who: SignedIn,
    case_id: str,
    exc: ApiError,
    *,
    form: str,
    values: dict[str, Any],
    anchor: str,
    rerender: Rerender,
) -> Response:
    """The page again after the case service refused a form: a stale version says what
    changed meanwhile (the form keeps what was typed); a move that waits for a supervisor
    offers to ask for it; any other refusal is the form's error."""
    if exc.status == 409 and exc.problem.get("approval_required"):
        move = str(exc.problem["approval_required"])
        return await approval_request_page(request, console, who, case_id, move, exc.detail, values)
    if exc.status == 409:
        case = await load_case(request, console, who, case_id)
        current = exc.problem.get("current_version")
        if current is not None and current != version_of(values):
            seen = {name: str(values.get(f"seen_{name}", "")) for name in SEEN_FIELDS}
            return await rerender(
                case=case,
                form=form,
                values=values,
                status=409,
                anchor=anchor,
                conflict=what_changed(seen, case, Labels(console.reference.current)),
            )
        return await rerender(
            case=case, form=form, values=values, errors={"_form": exc.detail}, status=409, anchor=anchor
        )
    errors = refusal_errors(exc, shown=(400, 422))
    return await rerender(form=form, values=values, errors=errors, status=422, anchor=anchor)


async def run_command(
    request: Request,
    console: Console,
    who: SignedIn,
    case_id: str,
    *,
    form: str,
    path: str,
    body: dict[str, Any],
    notice: str,
    anchor: str,
    values: dict[str, Any],
    refused: dict[str, str] | None = None,
) -> Response:
    """Posts ``body`` (unless the console ``refused`` the form already) and answers as
    described above."""
    rerender = partial(render_case, request, console, who, case_id)
    if refused:
        return await rerender(form=form, values=values, errors=refused, status=422, anchor=anchor)
    try:
        await console.backend.post(
            "case",
            f"/v1/cases/{check_case_id(case_id)}/{path}",
            who,
            {**body, "version": version_of(values)},
            correlation_id=correlation_id_of(request),
        )
    except ApiError as exc:
        return await answer_refusal(
            request, console, who, case_id, exc, form=form, values=values, anchor=anchor, rerender=rerender
        )
    return redirect_response(request, f"/cases/{case_id}?notice={notice}#{anchor}")


def _text(values: dict[str, Any], name: str) -> str | None:
    text = str(values.get(name) or "").strip()
    return text or None


def _contacted_at(values: dict[str, Any]) -> str | None:
    """The datetime-local field (JST, as typed) as an aware time for the service."""
    try:
        moment = parse_datetime_local(_text(values, "contacted_at"))
    except ValueError as exc:
        raise FormProblem({"contacted_at": "日時を「2026/12/02 14:05」の形で入力してください。"}) from exc
    return moment.isoformat() if moment else None


Values = dict[str, Any]


def _checked_at(values: Values) -> str | None:
    try:
        moment = parse_datetime_local(_text(values, "checked_at"))
    except ValueError as exc:
        raise FormProblem({"checked_at": "日時を「2026/12/02 14:05」の形で入力してください。"}) from exc
    return moment.isoformat() if moment else None


def _watch_plan(values: Values, _who: SignedIn) -> dict[str, Any]:
    every = _text(values, "every")
    if every is not None and not every.isdigit():
        raise FormProblem({"every": "間隔は数字で入力してください(例: 14)。"})
    return {
        "watcher_kind": values.get("watcher_kind") or None,
        "watcher_id": _text(values, "watcher_id") if values.get("watcher_kind") != "coordinator" else None,
        "every": int(every) if every else None,
        "unit": values.get("unit") or None,
        "look_for": _text(values, "look_for"),
        "until": _text(values, "until"),
    }


def _needs_every(body: dict[str, Any]) -> dict[str, str] | None:
    return None if body["every"] else {"every": "間隔を入力してください。"}


@dataclass(frozen=True)
class CaseForm:
    """One form of the case page: where it posts, the case service's command it becomes,
    and where the page goes afterwards."""

    route: str  # below /cases/{case_id}/
    form: str
    command: str  # below /v1/cases/{case_id}/; {name} is a path parameter of the route
    notice: str
    anchor: str
    body: Callable[[Values, SignedIn], dict[str, Any]] = lambda values, who: {}
    # The console's own refusal of a form it cannot send (None: send it).
    refusal: Callable[[dict[str, Any]], dict[str, str] | None] = lambda body: None


def _helper_task(values: Values, _who: SignedIn) -> dict[str, Any]:
    """A task for a community helper: the share boxes the form ticked, the day if given."""
    return {
        "helper_id": values.get("helper_id") or None,
        "kind": values.get("task_kind") or None,
        "instructions": _text(values, "instructions"),
        "share": values.get("task_share") or [],
        "due_on": _text(values, "due_on"),
    }


def _assignee(values: Values, who: SignedIn) -> dict[str, Any]:
    return {"coordinator_id": values.get("coordinator_id") or (who.account_id if values.get("take") else None)}


FORMS = (
    CaseForm(
        "assign",
        "assign",
        "assignment",
        "assigned",
        "actions",
        body=_assignee,
        refusal=lambda b: None if b["coordinator_id"] else {"coordinator_id": "担当者を選んでください。"},
    ),
    CaseForm(
        "status",
        "status",
        "status",
        "status_changed",
        "actions",
        body=lambda v, _: {"to": v.get("to"), "reason": _text(v, "reason")},
        refusal=lambda b: None if b["to"] else {"to": "変更後の状態を選んでください。"},
    ),
    CaseForm(
        "triage",
        "triage",
        "triage",
        "triaged",
        "triage",
        body=lambda v, _: {"priority": v.get("priority") or None, "categories": v.get("categories") or []},
        refusal=lambda b: None if b["categories"] else {"categories": "相談分類を1つ以上選んでください。"},
    ),
    CaseForm(
        "consent",
        "consent",
        "consent",
        "consent_recorded",
        "consent",
        body=lambda v, _: {"consent": v.get("consent"), "legal_ground": _text(v, "legal_ground")},
    ),
    CaseForm(
        "contacts",
        "contact",
        "contacts",
        "contact_added",
        "contacts",
        body=lambda v, _: {
            "contacted_at": _contacted_at(v),
            "channel": v.get("channel"),
            "whom": _text(v, "whom"),
            "outcome": _text(v, "outcome"),
        },
    ),
    CaseForm("notes", "note", "notes", "note_added", "notes", body=lambda v, _: {"body": _text(v, "body")}),
    CaseForm("watch", "watch", "watch", "watch_started", "watch", body=_watch_plan, refusal=_needs_every),
    CaseForm("watch/{plan_id}", "watch_change", "watch/{plan_id}", "watch_changed", "watch", _watch_plan, _needs_every),
    CaseForm(
        "watch/{plan_id}/checkins",
        "checkin",
        "watch/{plan_id}/checkins",
        "checked_in",
        "watch",
        body=lambda v, _: {
            "checked_at": _checked_at(v),
            "kind": v.get("checkin_kind") or None,
            "outcome": v.get("checkin_outcome") or None,
            "note": _text(v, "checkin_note"),
        },
    ),
    CaseForm("watch/{plan_id}/end", "watch", "watch/{plan_id}/end", "watch_ended", "watch"),
    CaseForm("helper-tasks", "helper_task", "helper-tasks", "helper_task_given", "helpers", body=_helper_task),
    CaseForm(
        "helper-tasks/{task_id}/cancel",
        "helper_task_cancel",
        "helper-tasks/{task_id}/cancel",
        "helper_task_cancelled",
        "helpers",
        body=lambda v, _: {"reason": _text(v, "cancel_reason")},
    ),
    CaseForm(
        "activities",
        "activity",
        "activities",
        "activity_recorded",
        "activities",
        body=lambda v, _: activity_form.activity_body(v),
        refusal=activity_form.missing,
    ),
    CaseForm(
        "members",
        "member",
        "household/members",
        "member_added",
        "household",
        body=lambda v, _: {name: _text(v, name) for name in ("relation", "age_group", "name", "note")},
    ),
    CaseForm("merge", "offers", "merge", "merged", "offers", body=lambda v, _: {"into_case_id": v.get("into_case_id")}),
    CaseForm("merge/undo", "offers", "merge/undo", "merge_undone", "summary"),
    CaseForm("offers/{offer_id}/dismiss", "offers", "link-offers/{offer_id}/dismiss", "offer_dismissed", "offers"),
    CaseForm("attention/clear", "referrals", "attention/clear", "attention_cleared", "referrals"),
)


def _posting(spec: CaseForm) -> Callable[..., Awaitable[Response]]:
    async def post_form(request: Request, case_id: str, who: CaseWork, console: ConsoleDep) -> Response:
        values = await read_form(request)
        others = {k: check_case_id(v) for k, v in request.path_params.items() if k != "case_id"}
        try:
            body = spec.body(values, who)
            refused = spec.refusal(body)
        except (FormProblem, activity_form.ActivityFormProblem) as exc:
            body, refused = {}, exc.errors
        return await run_command(
            request,
            console,
            who,
            case_id,
            form=spec.form,
            path=spec.command.format(**others),
            body=body,
            notice=spec.notice,
            anchor=spec.anchor,
            values=values,
            refused=refused,
        )

    return post_form


for _spec in FORMS:
    router.add_api_route(f"/cases/{{case_id}}/{_spec.route}", _posting(_spec), methods=["POST"])
