"""Posting one of the case page's forms: read it, post its command to the case service
with the version the page showed, and answer a refusal — a stale version (409) says
what changed meanwhile (the form keeps what was typed), a move that waits for a
supervisor offers to ask for it, any other refusal is shown next to its field. The forms
themselves are in ``case_actions.py``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response

from services.console.adapters.backend import ApiError
from services.console.entrypoints.pages.approvals import approval_request_page
from services.console.entrypoints.pages.case import SEEN_FIELDS, check_case_id, load_case, render_case, what_changed
from services.console.entrypoints.pages.common import refusal_errors
from services.console.entrypoints.pages.labels import Labels
from services.console.entrypoints.web import Console, acting_as, redirect_response
from services.console.handlers.signin import SignedIn
from shared.http.app import correlation_id_of

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
