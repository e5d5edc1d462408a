"""The case page's forms. Each posts one command to the case service with the version
the page showed; success goes back to the case (a notice, the section in view), a
refusal shows the page again with the message next to the field and what was typed, a
stale version (409) says what changed meanwhile."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.console.adapters.backend import ApiError
from services.console.entrypoints.formatting import parse_datetime_local
from services.console.entrypoints.pages.case import SEEN_FIELDS, check_case_id, load_case, render_case, what_changed
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
        values[key] = items if key in ("categories", "share") else items[-1]
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
    changed meanwhile (the form keeps what was typed); any other refusal is the form's error."""
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
    if exc.status in (400, 422):
        return await rerender(
            form=form, values=values, errors=exc.field_errors() or {"_form": exc.detail}, status=422, anchor=anchor
        )
    raise exc


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


@router.post("/cases/{case_id}/assign")
async def assign(request: Request, case_id: str, who: CaseWork, console: ConsoleDep) -> Response:
    values = await read_form(request)
    target = values.get("coordinator_id") or (who.account_id if values.get("take") else None)
    return await run_command(
        request,
        console,
        who,
        case_id,
        form="assign",
        path="assignment",
        body={"coordinator_id": target},
        notice="assigned",
        anchor="actions",
        values=values,
        refused=None if target else {"coordinator_id": "担当者を選んでください。"},
    )


@router.post("/cases/{case_id}/status")
async def change_status(request: Request, case_id: str, who: CaseWork, console: ConsoleDep) -> Response:
    values = await read_form(request)
    return await run_command(
        request,
        console,
        who,
        case_id,
        form="status",
        path="status",
        body={"to": values.get("to"), "reason": _text(values, "reason")},
        notice="status_changed",
        anchor="actions",
        values=values,
        refused=None if values.get("to") else {"to": "変更後の状態を選んでください。"},
    )


@router.post("/cases/{case_id}/triage")
async def triage(request: Request, case_id: str, who: CaseWork, console: ConsoleDep) -> Response:
    values = await read_form(request)
    body = {"priority": values.get("priority") or None, "categories": values.get("categories") or []}
    refused = None if body["categories"] else {"categories": "相談分類を1つ以上選んでください。"}
    return await run_command(
        request,
        console,
        who,
        case_id,
        form="triage",
        path="triage",
        body=body,
        notice="triaged",
        anchor="triage",
        values=values,
        refused=refused,
    )


@router.post("/cases/{case_id}/consent")
async def consent(request: Request, case_id: str, who: CaseWork, console: ConsoleDep) -> Response:
    values = await read_form(request)
    body = {"consent": values.get("consent"), "legal_ground": _text(values, "legal_ground")}
    return await run_command(
        request,
        console,
        who,
        case_id,
        form="consent",
        path="consent",
        body=body,
        notice="consent_recorded",
        anchor="consent",
        values=values,
    )


def _contacted_at(values: dict[str, Any]) -> str | None:
    """The datetime-local field (JST, as typed) as an aware time for the service."""
    try:
        moment = parse_datetime_local(_text(values, "contacted_at"))
    except ValueError as exc:
        raise FormProblem({"contacted_at": "日時を「2026/12/02 14:05」の形で入力してください。"}) from exc
    return moment.isoformat() if moment else None


@router.post("/cases/{case_id}/contacts")
async def add_contact(request: Request, case_id: str, who: CaseWork, console: ConsoleDep) -> Response:
    values = await read_form(request)
    refused, contacted_at = None, None
    try:
        contacted_at = _contacted_at(values)
    except FormProblem as exc:
        refused = exc.errors
    body = {
        "contacted_at": contacted_at,
        "channel": values.get("channel"),
        "whom": _text(values, "whom"),
        "outcome": _text(values, "outcome"),
    }
    return await run_command(
        request,
        console,
        who,
        case_id,
        form="contact",
        path="contacts",
        body=body,
        notice="contact_added",
        anchor="contacts",
        values=values,
        refused=refused,
    )


@router.post("/cases/{case_id}/notes")
async def add_note(request: Request, case_id: str, who: CaseWork, console: ConsoleDep) -> Response:
    values = await read_form(request)
    return await run_command(
        request,
        console,
        who,
        case_id,
        form="note",
        path="notes",
        body={"body": _text(values, "body")},
        notice="note_added",
        anchor="notes",
        values=values,
    )


@router.post("/cases/{case_id}/members")
async def add_member(request: Request, case_id: str, who: CaseWork, console: ConsoleDep) -> Response:
    values = await read_form(request)
    body = {
        "relation": _text(values, "relation"),
        "age_group": _text(values, "age_group"),
        "name": _text(values, "name"),
        "note": _text(values, "note"),
    }
    return await run_command(
        request,
        console,
        who,
        case_id,
        form="member",
        path="household/members",
        body=body,
        notice="member_added",
        anchor="household",
        values=values,
    )


@router.post("/cases/{case_id}/merge")
async def merge(request: Request, case_id: str, who: CaseWork, console: ConsoleDep) -> Response:
    values = await read_form(request)
    return await run_command(
        request,
        console,
        who,
        case_id,
        form="offers",
        path="merge",
        body={"into_case_id": values.get("into_case_id")},
        notice="merged",
        anchor="offers",
        values=values,
    )


@router.post("/cases/{case_id}/merge/undo")
async def undo_merge(request: Request, case_id: str, who: CaseWork, console: ConsoleDep) -> Response:
    values = await read_form(request)
    return await run_command(
        request,
        console,
        who,
        case_id,
        form="offers",
        path="merge/undo",
        body={},
        notice="merge_undone",
        anchor="summary",
        values=values,
    )


@router.post("/cases/{case_id}/offers/{offer_id}/dismiss")
async def dismiss_offer(request: Request, case_id: str, offer_id: str, who: CaseWork, console: ConsoleDep) -> Response:
    values = await read_form(request)
    path = f"link-offers/{check_case_id(offer_id)}/dismiss"
    return await run_command(
        request,
        console,
        who,
        case_id,
        form="offers",
        path=path,
        body={},
        notice="offer_dismissed",
        anchor="offers",
        values=values,
    )


@router.post("/cases/{case_id}/attention/clear")
async def clear_attention(request: Request, case_id: str, who: CaseWork, console: ConsoleDep) -> Response:
    values = await read_form(request)
    return await run_command(
        request,
        console,
        who,
        case_id,
        form="referrals",
        path="attention/clear",
        body={},
        notice="attention_cleared",
        anchor="referrals",
        values=values,
    )
