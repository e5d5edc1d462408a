"""The case page's forms. Each posts one command to the case service with the version
the page showed; success goes back to the case (a notice, the section in view), a
refusal shows the page again with the message next to the field and what was typed, a
stale version (409) says what changed meanwhile."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.console.entrypoints.formatting import parse_datetime_local
from services.console.entrypoints.pages import activity_form
from services.console.entrypoints.pages.case import check_case_id
from services.console.entrypoints.pages.case_commands import CaseWork, FormProblem, read_form, run_command
from services.console.entrypoints.web import ConsoleDep
from services.console.handlers.signin import SignedIn

router = APIRouter(include_in_schema=False)


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
