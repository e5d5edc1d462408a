"""地域の支援者: the coordinator's 「地域の支援者に頼む」 section of the case page (the
area's helpers by name, the task form, the case's tasks and their check-ins) and the
helper's own desk — わたしへの依頼: their tasks, one task with only what it shares,
taking it on or declining it, recording a check-in and reporting it done."""

from __future__ import annotations

import re
from typing import Annotated, Any, get_args

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.console.adapters.backend import ApiError
from services.console.entrypoints.formatting import parse_datetime_local
from services.console.entrypoints.pages.common import page, refusal_errors
from services.console.entrypoints.web import Console, ConsoleDep, PageError, acting_as, redirect_response, render
from services.console.handlers import accounts
from services.console.handlers.signin import SignedIn
from shared.events.referral import PERSONAL_FIELDS, SHAREABLE_LABELS
from shared.events.watch import CheckInKind, CheckInOutcome
from shared.http.app import correlation_id_of
from shared.reference import CITY_WIDE

router = APIRouter(include_in_schema=False)
Helper = Annotated[SignedIn, Depends(acting_as("helper"))]
HelperAction = Annotated[SignedIn, Depends(acting_as("helper", csrf=True))]
TASK_ID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
MOVES = {"accept": "引き受ける", "decline": "辞退する", "done": "完了にする"}


async def names_of(console: Console, account_ids: list[str]) -> dict[str, str]:
    """Helpers' names: the console holds them (the services know account ids only)."""
    if not account_ids:
        return {}
    found = await accounts.listing(console.runtime.unit_of_work(), sorted(set(account_ids)))
    return {a["id"]: a["display_name"] for a in found}


async def case_section(request: Request, console: Console, who: SignedIn, case: dict[str, Any]) -> dict[str, Any]:
    """What the case page's helpers section needs: the case's tasks, and for its
    coordinator the area's helpers to choose from."""
    correlation_id = correlation_id_of(request)
    tasks = await console.backend.get(
        "case", f"/v1/cases/{case['id']}/helper-tasks", who, correlation_id=correlation_id
    )
    writer = who.chosen is not None and who.chosen.grant.role == "coordinator"
    helpers: list[dict[str, Any]] = []
    if writer and case["area"] != CITY_WIDE:
        helpers = (await console.backend.get("case", "/v1/helpers", who, correlation_id=correlation_id))["items"]
    names = await names_of(console, [h["account_id"] for h in helpers] + [t["helper_id"] for t in tasks["items"]])
    options = [
        (
            h["account_id"],
            f"{names.get(h['account_id'], h['account_id'])}({h['kind'] or '支援者'}・依頼中 {h['open_tasks']}件)",
        )
        for h in helpers
        if not h["disabled"]
    ]
    return {
        "helper_tasks": tasks,
        "helper_names": names,
        "helper_options": options,
        "task_kinds": [(k, k) for k in tasks["kinds"]],
        "task_share_options": [
            {"value": f, "text": SHAREABLE_LABELS[f] + ("(同意が必要)" if f in PERSONAL_FIELDS else "")}
            for f in dict.fromkeys(f for fields in tasks["kinds"].values() for f in fields)
        ],
        "share_labels": SHAREABLE_LABELS,
        "task_needs": {k: "・".join(SHAREABLE_LABELS[f] for f in v) for k, v in tasks["kinds"].items()},
    }


def _task_id(task_id: str) -> str:
    if not TASK_ID.fullmatch(task_id):
        raise PageError(404, "依頼が見つかりません", "この依頼は見つかりません。")
    return task_id


@router.get("/helper")
async def desk(request: Request, who: Helper, console: ConsoleDep, all: str = "") -> Response:
    mine = await console.backend.get(
        "case",
        "/v1/helper/tasks",
        who,
        params={"open": "false" if all == "1" else "true"},
        correlation_id=correlation_id_of(request),
    )
    context = {"tasks": mine["items"], "all": all == "1"}
    return render(request, "helper_desk.html", await page(request, who, "わたしへの依頼", **context))


async def _task_page(
    request: Request,
    console: Console,
    who: SignedIn,
    task_id: str,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    try:
        found = await console.backend.get(
            "case", f"/v1/helper/tasks/{_task_id(task_id)}", who, correlation_id=correlation_id_of(request)
        )
    except ApiError as exc:
        if exc.status in (403, 404):
            raise PageError(404, "依頼が見つかりません", "この依頼は見つかりません。") from exc
        raise
    context = {
        "found": found,
        "task": found["task"],
        "values": values or {},
        "errors": errors or {},
        "moves": MOVES,
        "checkin_kinds": [(k, k) for k in get_args(CheckInKind)],
        "checkin_outcomes": [(o, o) for o in get_args(CheckInOutcome)],
    }
    return render(request, "helper_task.html", await page(request, who, "依頼", **context), status=status)


@router.get("/helper/tasks/{task_id}")
async def task_page(request: Request, task_id: str, who: Helper, console: ConsoleDep) -> Response:
    return await _task_page(request, console, who, task_id)


@router.post("/helper/tasks/{task_id}/checkins")
async def check_in(request: Request, task_id: str, who: HelperAction, console: ConsoleDep) -> Response:
    values = {k: str(v) for k, v in (await request.form()).items()}
    body: dict[str, Any] = {
        "kind": values.get("kind") or None,
        "outcome": values.get("outcome") or None,
        "note": (values.get("note") or "").strip() or None,
    }
    try:
        moment = parse_datetime_local(values.get("checked_at") or "")
    except ValueError:
        wrong = {"checked_at": "日時を「2026/12/02 14:05」の形で入力してください。"}
        return await _task_page(request, console, who, task_id, values=values, errors=wrong, status=422)
    body["checked_at"] = moment.isoformat() if moment else None
    return await _command(request, console, who, task_id, "checkins", body, "task_checked_in", values)


@router.post("/helper/tasks/{task_id}/{action}")
async def move(request: Request, task_id: str, action: str, who: HelperAction, console: ConsoleDep) -> Response:
    if action not in MOVES:
        raise PageError(404, "ページが見つかりません", "この操作はありません。")
    values = {k: str(v) for k, v in (await request.form()).items()}
    reason = (values.get("reason") or "").strip() or None
    return await _command(request, console, who, task_id, action, {"reason": reason}, f"task_{action}", values)


async def _command(
    request: Request,
    console: Console,
    who: SignedIn,
    task_id: str,
    path: str,
    body: dict[str, Any],
    notice: str,
    values: dict[str, str],
) -> Response:
    try:
        await console.backend.post(
            "case", f"/v1/helper/tasks/{_task_id(task_id)}/{path}", who, body, correlation_id=correlation_id_of(request)
        )
    except ApiError as exc:
        errors = refusal_errors(exc)
        return await _task_page(request, console, who, task_id, values=values, errors=errors, status=exc.status)
    return redirect_response(request, f"/helper/tasks/{task_id}?notice={notice}")
