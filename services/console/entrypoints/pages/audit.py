"""ケース監査 / 運用状況 — the supervisor's checks. A case's complete timeline with every
actor and time, whether its hash chain verifies (the case service's verification, the
same walk as ``tsunagi verify``) and each entry still matches its recorded hash, who
read the case, which agency saw which shared fields and when, and the exports; and
whether every service is healthy, how far behind its streams are, what waits in its
dead-letter stream (the console reads the services' own /ready and /metrics)."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from prometheus_client.parser import text_string_to_metric_families

from services.console.adapters.backend import BACKENDS, ApiError
from services.console.entrypoints.pages.case import check_case_id, load_case
from services.console.entrypoints.pages.common import page, pager
from services.console.entrypoints.pages.labels import Labels
from services.console.entrypoints.pages.timeline import ACTOR_ROLES
from services.console.entrypoints.web import Console, ConsoleDep, acting_as, redirect_response, render
from services.console.handlers.signin import SignedIn
from shared.events.referral import SHAREABLE_LABELS
from shared.http.app import correlation_id_of
from shared.http.operator import operator_headers

router = APIRouter(include_in_schema=False)
Supervisor = Annotated[SignedIn, Depends(acting_as("supervisor"))]
TIMELINE_PER_PAGE = 100
READS_PER_PAGE = 50
SERVICE_NAMES = {
    "console": "つなぎの机",
    "intake": "相談受付",
    "case": "ケース管理",
    "referral": "紹介・つなぎ",
    "notify": "通知・督促",
}
# The metrics the operations page sums over their labels (streams, groups).
SUMMED = {
    "tsunagi_stream_lag": "lag",
    "tsunagi_stream_pending": "pending",
    "tsunagi_dead_letters": "dead_letters",
    "tsunagi_outbox_backlog": "outbox",
}


@router.get("/audit")
async def audit_search(request: Request, who: Supervisor, console: ConsoleDep, q: str = "") -> Response:
    query, result, error = q.strip()[:100], None, None
    if query:
        try:
            result = await console.backend.get(
                "case", "/v1/cases/search", who, params={"q": query}, correlation_id=correlation_id_of(request)
            )
        except ApiError as exc:
            error = next(iter(exc.field_errors().values()), exc.detail)
        if result and len(result.get("items", [])) == 1:
            return redirect_response(request, f"/audit/{result['items'][0]['id']}")
    context = {"q": query, "result": result, "error": error, "labels": Labels(console.reference.current)}
    return render(request, "audit_search.html", await page(request, who, "ケース監査", **context))


@router.get("/audit/{case_id}")
async def audit_case(
    request: Request,
    case_id: str,
    who: Supervisor,
    console: ConsoleDep,
    page_no: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1,
    reads_page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    cid = correlation_id_of(request)
    case = await load_case(request, console, who, case_id)
    # The timeline a page at a time (a long case has thousands of entries); whether the
    # whole chain holds is the verification's answer, over every entry of every page.
    # The reads too, newest first: every view of the case adds one, and the recent are sought.
    timeline, verification, reads, disclosures = await asyncio.gather(
        console.backend.get(
            "case",
            f"/v1/cases/{check_case_id(case_id)}/timeline",
            who,
            params={"page": page_no, "per_page": TIMELINE_PER_PAGE},
            correlation_id=cid,
        ),
        console.backend.get("case", f"/v1/cases/{check_case_id(case_id)}/verification", who, correlation_id=cid),
        console.backend.get(
            "case",
            f"/v1/cases/{check_case_id(case_id)}/reads",
            who,
            params={"page": reads_page, "per_page": READS_PER_PAGE, "order": "newest"},
            correlation_id=cid,
        ),
        console.backend.get_every(
            "referral", "/v1/referrals/disclosures", who, 500, params={"case_id": case_id}, correlation_id=cid
        ),
    )
    # Each list's pager keeps the other's page (a first page is left out of the links).
    base = f"/audit/{case_id}"
    timeline_at = [("page", str(page_no))] if page_no > 1 else []
    reads_at = [("reads_page", str(reads_page))] if reads_page > 1 else []
    broken = [e for e in timeline["items"] if not e["intact"]]
    context = {
        "case": case,
        "timeline": timeline,
        "verification": verification,
        "chain_breaks": [c for c in verification["chains"] if not c["intact"]],
        "reads": reads["items"],
        "reads_total": reads["total"],
        "reads_per_page": READS_PER_PAGE,
        "disclosures": disclosures["items"],
        "decisions": disclosures.get("decisions", []),
        "broken": broken,
        "pager": pager(page_no, TIMELINE_PER_PAGE, int(timeline["total"]), base, reads_at),
        "reads_pager": pager(
            reads_page,
            READS_PER_PAGE,
            int(reads["total"]),
            base,
            timeline_at,
            key="reads_page",
            fragment="reads-heading",
        ),
        "labels": Labels(console.reference.current),
        "actor_roles": ACTOR_ROLES,
        "field_labels": SHAREABLE_LABELS,
    }
    return render(request, "audit_case.html", await page(request, who, f"ケース監査 {case['case_number']}", **context))


@router.get("/audit/{case_id}/export.json")
async def audit_export(request: Request, case_id: str, who: Supervisor, console: ConsoleDep) -> Response:
    """開示請求: everything held about one case, gathered from every service that holds it,
    as one JSON bundle for the supervisor (each read it makes is itself recorded)."""
    cid = correlation_id_of(request)
    checked = check_case_id(case_id)
    case = await load_case(request, console, who, case_id)
    timeline, reads, disclosures, referrals = await asyncio.gather(
        console.backend.get("case", f"/v1/cases/{checked}/timeline", who, correlation_id=cid),
        # Every read, oldest first: a disclosure is the whole record, not the page's newest.
        console.backend.get_every("case", f"/v1/cases/{checked}/reads", who, 1000, correlation_id=cid),
        console.backend.get_every(
            "referral", "/v1/referrals/disclosures", who, 500, params={"case_id": case_id}, correlation_id=cid
        ),
        console.backend.get_every(
            "referral", "/v1/referrals", who, 200, params={"case_id": case_id}, correlation_id=cid
        ),
    )
    details = await asyncio.gather(
        *(
            console.backend.get("referral", f"/v1/referrals/{check_case_id(r['id'])}", who, correlation_id=cid)
            for r in referrals.get("items", [])
        )
    )
    bundle = {
        "kind": "tsunagi.case-export",
        "case_id": case_id,
        "case_number": case.get("case_number"),
        "exported_by": who.account_id,
        "exported_at": console.runtime.clock.now().isoformat(),
        "case": case,
        "timeline": timeline,
        "referrals": list(details),
        "reads": reads,
        "disclosures": disclosures,
    }
    filename = f"case-export-{case.get('case_number') or case_id}.json"
    return Response(
        json.dumps(bundle, ensure_ascii=False, indent=2, default=str).encode("utf-8"),
        media_type="application/json; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


async def _service_state(
    client: httpx.AsyncClient, name: str, operator: dict[str, str] | None = None
) -> dict[str, Any]:
    """``operator``: the headers /metrics needs in production (the operator's token)."""
    state: dict[str, Any] = {
        "name": name,
        "label": SERVICE_NAMES.get(name, name),
        "ready": False,
        "checks": {},
        "lag": 0,
        "pending": 0,
        "dead_letters": 0,
        "outbox": 0,
    }
    try:
        ready = await client.get("/ready", timeout=3.0)
        state["checks"] = ready.json().get("checks") or ready.json()
        state["ready"] = ready.status_code == 200
        metrics = await client.get("/metrics", timeout=5.0, headers=operator)
    except (httpx.HTTPError, ValueError):
        state["checks"] = {"http": "応答がありません"}
        return state
    if metrics.status_code != 200:  # e.g. the operator's token is missing or wrong
        state["checks"] = {**state["checks"], "metrics": f"読み取れません(HTTP {metrics.status_code})"}
        return state
    try:
        families = list(text_string_to_metric_families(metrics.text))
    except ValueError:
        state["checks"] = {**state["checks"], "metrics": "読み取れません"}
        return state
    for family in families:
        if family.name in SUMMED:
            state[SUMMED[family.name]] += int(sum(s.value for s in family.samples if s.name == family.name))
    return state


async def _own_state(console: Console) -> dict[str, Any]:
    checks = await console.runtime.readiness()
    try:
        outbox = await console.runtime.relay.backlog()
    except Exception:  # its database is down: readiness says so
        outbox = 0
    return {
        "name": "console",
        "label": SERVICE_NAMES["console"],
        "ready": bool(checks.get("ready")),
        "checks": checks,
        "lag": 0,
        "pending": 0,
        "dead_letters": 0,
        "outbox": outbox,
    }


async def service_states(console: Console) -> list[dict[str, Any]]:
    """Each service's own answer to /ready and /metrics; the console's, from itself."""
    return [
        await _own_state(console),
        *await asyncio.gather(
            *(_service_state(console.backend.clients[n], n, operator_headers(console.settings)) for n in BACKENDS)
        ),
    ]


@router.get("/operations")
async def operations(request: Request, who: Supervisor, console: ConsoleDep) -> Response:
    states = await service_states(console)
    context = {
        "states": states,
        "all_ready": all(s["ready"] for s in states),
        "dead_letters": sum(s["dead_letters"] for s in states),
    }
    return render(request, "operations.html", await page(request, who, "運用状況", **context))
