"""キュー: the coordinator's home. 未割当 / 自分の担当 / すべて with counts, 緊急 first
then the longest waiting, filters kept in the address, paging; the results refresh on
their own (a background request that is not the person's activity) without losing the
filters, the rows ticked for a bulk reassignment, or the scroll place.
まとめて担当替え: the ticked cases go to another coordinator of the area in one command;
each case is reported, and a case someone changed meanwhile is not overwritten."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from services.console.adapters.backend import ApiError
from services.console.entrypoints.pages.common import page, pager
from services.console.entrypoints.pages.labels import CASE_STATUSES, PRIORITIES, Labels
from services.console.entrypoints.web import ConsoleDep, acting_as, render
from services.console.handlers.signin import SignedIn
from shared.http.app import correlation_id_of
from shared.reference import CITY_WIDE

router = APIRouter(include_in_schema=False)
Desk = Annotated[SignedIn, Depends(acting_as("coordinator", "supervisor"))]
CoordinatorAction = Annotated[SignedIn, Depends(acting_as("coordinator", csrf=True))]

VIEWS = (("unassigned", "未割当"), ("mine", "自分の担当"), ("all", "すべて"))
PER_PAGE = 25
MAX_AGE_DAYS = 3650


@dataclass
class QueueFilters:
    view: str = "all"
    status: list[str] = field(default_factory=list)
    priority: list[str] = field(default_factory=list)
    category: list[str] = field(default_factory=list)
    school_district: list[str] = field(default_factory=list)
    min_age_days: int | None = None
    max_age_days: int | None = None
    needs_attention: str = ""  # "", "yes", "no"
    page: int = 1
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return bool(
            self.status
            or self.priority
            or self.category
            or self.school_district
            or self.needs_attention
            or self.min_age_days is not None
            or self.max_age_days is not None
        )

    def params(self, *, view: str | None = None, page: int | None = None) -> list[tuple[str, str]]:
        """The address of this queue (another view or page keeps every filter)."""
        out = [("view", view or self.view)]
        for name in ("status", "priority", "category", "school_district"):
            out += [(name, v) for v in getattr(self, name)]
        for name in ("min_age_days", "max_age_days"):
            if getattr(self, name) is not None:
                out.append((name, str(getattr(self, name))))
        if self.needs_attention:
            out.append(("needs_attention", self.needs_attention))
        if page and page > 1:
            out.append(("page", str(page)))
        return out

    def api_params(self) -> list[tuple[str, str]]:
        out = [(k, v) for k, v in self.params(page=self.page) if k not in ("needs_attention", "page")]
        if self.needs_attention:
            out.append(("needs_attention", "true" if self.needs_attention == "yes" else "false"))
        return [*out, ("page", str(self.page)), ("per_page", str(PER_PAGE))]


def _int(value: str | None, name: str, errors: dict[str, str], low: int, high: int) -> int | None:
    if value in (None, ""):
        return None
    assert value is not None
    if not value.isdigit() or not low <= int(value) <= high:
        errors[name] = f"{low}から{high}までの数字で入力してください。"
        return None
    return int(value)


def read_filters(request: Request, labels: Labels) -> QueueFilters:
    """Filters from the address; a value that is not an option is dropped with a message."""
    q = request.query_params
    errors: dict[str, str] = {}
    known = {
        "status": set(CASE_STATUSES),
        "priority": set(PRIORITIES),
        "category": {c for c, _ in labels.category_options()},
        "school_district": {d for d, _ in labels.district_options(None)},
    }
    chosen = {name: [v for v in q.getlist(name) if v in allowed] for name, allowed in known.items()}
    min_age = _int(q.get("min_age_days"), "min_age_days", errors, 0, MAX_AGE_DAYS)
    max_age = _int(q.get("max_age_days"), "max_age_days", errors, 0, MAX_AGE_DAYS)
    if min_age is not None and max_age is not None and min_age > max_age:
        errors["max_age_days"] = "「何日まで」は「何日から」以上にしてください。"
        max_age = None
    page_no = _int(q.get("page"), "page", {}, 1, 10_000) or 1
    view = q.get("view") if q.get("view") in dict(VIEWS) else "all"
    attention = q.get("needs_attention") if q.get("needs_attention") in ("yes", "no") else ""
    return QueueFilters(
        view=view or "all",
        min_age_days=min_age,
        max_age_days=max_age,
        needs_attention=attention or "",
        page=page_no,
        errors=errors,
        **chosen,
    )


def ticked(values: list[str]) -> dict[str, str]:
    """Ticked rows as case id → "id:version" as first ticked: a refresh keeps the version
    the person saw, so a case changed meanwhile is reported, not overwritten."""
    return {v.partition(":")[0]: v for v in values if ":" in v}


async def _queue_context(
    request: Request, console: Any, who: SignedIn, filters: QueueFilters, selected: dict[str, str]
) -> dict[str, Any]:
    labels = Labels(console.reference.current)
    queue = await console.backend.get(
        "case", "/v1/cases", who, params=filters.api_params(), correlation_id=correlation_id_of(request)
    )
    counts = queue.get("counts", {})
    tabs = [
        {
            "href": "/queue?" + urlencode(filters.params(view=v)),
            "text": text,
            "count": counts.get(v, 0),
            "current": filters.view == v,
        }
        for v, text in VIEWS
    ]
    area = who.chosen.grant.scope if who.chosen and who.chosen.grant.role == "coordinator" else None
    return {
        "queue": queue,
        "filters": filters,
        "tabs": tabs,
        "labels": labels,
        "selected": selected,
        "pager": pager(filters.page, PER_PAGE, int(queue.get("total", 0)), "/queue", filters.params()),
        "results_href": "/queue/results?" + urlencode(filters.params(page=filters.page)),
        "can_reassign": area is not None,
        "colleagues": labels.coordinators_of(area or CITY_WIDE),
        "district_options": labels.district_options(area),
        "category_options": labels.category_options(),
        "status_options": [(s, s) for s in CASE_STATUSES],
        "priority_options": [(p, p) for p in PRIORITIES],
        "query": urlencode(filters.params(page=filters.page)),
        "me": who.account_id,
        "refresh_s": console.settings.console_queue_refresh_s,
        "updated_at": console.runtime.clock.now(),
    }


@router.get("/queue")
async def queue_page(request: Request, who: Desk, console: ConsoleDep) -> Response:
    filters = read_filters(request, Labels(console.reference.current))
    context = await _queue_context(request, console, who, filters, {})
    title = "キュー" if who.chosen and who.chosen.grant.role == "coordinator" else "キュー(全圏域)"
    return render(request, "queue.html", await page(request, who, title, **context))


@router.get("/queue/results")
async def queue_results(request: Request, who: Desk, console: ConsoleDep) -> Response:
    """The refreshing part of the queue (htmx): the table, its pager and the counts."""
    filters = read_filters(request, Labels(console.reference.current))
    context = await _queue_context(request, console, who, filters, ticked(request.query_params.getlist("case")))
    return render(request, "partials/queue_results.html", {**context, "oob_tabs": True})


@router.post("/queue/reassign")
async def reassign(
    request: Request,
    who: CoordinatorAction,
    console: ConsoleDep,
    coordinator_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """まとめて担当替え: one command to the case service, a result per case."""
    form = await request.form()
    picked = [str(v) for v in form.getlist("case")][:100]
    filters = read_filters(request, Labels(console.reference.current))
    errors: dict[str, str] = {}
    if not picked:
        errors["case"] = "担当を替えるケースを選んでください。"
    if not coordinator_id:
        errors["coordinator_id"] = "新しい担当者を選んでください。"
    outcome = None
    if not errors:
        items = []
        for value in picked:
            case_id, _, version = value.partition(":")
            if version.isdigit():
                items.append({"case_id": case_id, "version": int(version)})
        try:
            outcome = await console.backend.post(
                "case",
                "/v1/cases/assignments",
                who,
                {"coordinator_id": coordinator_id, "items": items},
                correlation_id=correlation_id_of(request),
            )
        except ApiError as exc:
            errors.update(
                {k.split(".")[0] if k != "_form" else "coordinator_id": v for k, v in exc.field_errors().items()}
                or {"coordinator_id": exc.detail}
            )
    # After a reassignment only the cases not reassigned stay ticked, to look at again.
    failed = {r["case_id"] for r in (outcome or {}).get("results", []) if r.get("outcome") != "assigned"}
    kept = {k: v for k, v in ticked(picked).items() if not outcome or k in failed}
    context = await _queue_context(request, console, who, filters, kept)
    context.update(reassign_errors=errors, reassign_outcome=outcome, reassign_to=coordinator_id)
    status = 422 if errors else 200
    return render(request, "queue.html", await page(request, who, "キュー", **context), status=status)
