"""Which reads the scale benchmark times: every service API call behind a console page,
with the ids it needs found in the loaded data (untimed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx

from bench.scale.load import database_url
from shared.identity import issue_token
from shared.settings import Settings

PER_PAGE = "25"  # the console's queue page (services/console/entrypoints/pages/queue.py)
DEEP_PAGES = 20  # a deep page: this many pages in, by offset and by next_cursor


@dataclass(frozen=True)
class Read:
    name: str
    service: str
    who: str  # a key of People.tokens
    path: str
    params: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Found:
    """Ids picked from the data: the busiest area's coordinator, a case of theirs, the
    longest timeline, the agency with the most referrals."""

    coordinator: str
    area: str
    case_id: str
    case_number: str
    reference: str
    name: str
    long_case_id: str
    agency: str


async def find(cases: int) -> Found:
    conn = await asyncpg.connect(database_url(cases))
    try:
        coordinator, area = await conn.fetchrow(
            'SELECT coordinator_id, area FROM "case".cases WHERE coordinator_id IS NOT NULL '
            "GROUP BY 1, 2 ORDER BY count(*) DESC LIMIT 1"
        )
        case = await conn.fetchrow(
            "SELECT c.id, c.case_number, k.reference, c.person->>'name' AS name FROM \"case\".cases c "
            'JOIN "case".case_consultations k ON k.case_id = c.id '
            "WHERE c.area = $1 AND c.status = '対応中' ORDER BY c.id LIMIT 1",
            area,
        )
        long_case = await conn.fetchval('SELECT case_id FROM "case".timeline WHERE seq = 2000 LIMIT 1')
        agency = await conn.fetchval(
            'SELECT agency_id FROM "referral".referrals GROUP BY 1 ORDER BY count(*) DESC LIMIT 1'
        )
    finally:
        await conn.close()
    return Found(coordinator, area, case["id"], case["case_number"], case["reference"], case["name"], long_case, agency)


def tokens(settings: Settings, found: Found) -> dict[str, str]:
    return {
        "coordinator": issue_token(settings, role="coordinator", scope=found.area, subject=found.coordinator),
        "supervisor": issue_token(settings, role="supervisor", scope="city", subject="sv-1"),
        "agency": issue_token(settings, role="agency", scope=found.agency, subject=f"{found.agency}-staff"),
    }


async def deep_cursor(case_url: str, token: str, params: list[tuple[str, str]]) -> str:
    """The ``next_cursor`` that opens page DEEP_PAGES of that queue."""
    cursor = None
    async with httpx.AsyncClient(base_url=case_url, timeout=120) as client:
        for _ in range(DEEP_PAGES - 1):
            extra = [("cursor", cursor)] if cursor else []
            answer = await client.get(
                "/v1/cases",
                params=[*params, ("per_page", PER_PAGE), *extra],
                headers={"authorization": f"Bearer {token}"},
            )
            answer.raise_for_status()
            cursor = answer.json()["next_cursor"]
    assert cursor, "the queue is shorter than its deep page"
    return cursor


def queue_reads(who: str, label: str, params: list[tuple[str, str]], cursor: str | None) -> list[Read]:
    deep = [("page", str(DEEP_PAGES)), ("per_page", PER_PAGE)]
    reads = [
        Read(f"queue {label}, page 1", "case", who, "/v1/cases", [*params, ("page", "1"), ("per_page", PER_PAGE)]),
        Read(f"queue {label}, page {DEEP_PAGES}", "case", who, "/v1/cases", [*params, *deep]),
    ]
    if cursor:
        reads.append(
            Read(
                f"queue {label}, cursor page {DEEP_PAGES}",
                "case",
                who,
                "/v1/cases",
                [*params, ("per_page", PER_PAGE), ("cursor", cursor)],
            )
        )
    return reads


# The queues a coordinator and a supervisor open: each view, each filter, and the closed
# cases (the longest list) — the ones with DEEP_PAGES pages also by cursor.
QUEUES = [
    ("coordinator", "mine", [("view", "mine")], False),
    ("coordinator", "unassigned", [("view", "unassigned")], False),
    ("coordinator", "all (open)", [("view", "all")], True),
    ("coordinator", "status 終結", [("view", "all"), ("status", "終結")], True),
    ("coordinator", "priority 高+緊急", [("view", "all"), ("priority", "高"), ("priority", "緊急")], False),
    ("coordinator", "category", [("view", "all"), ("category", "高齢者介護")], False),
    ("coordinator", "needs attention", [("view", "all"), ("needs_attention", "true")], False),
    ("coordinator", "waiting > 30 days", [("view", "all"), ("min_age_days", "30")], False),
    (
        "supervisor",
        "city, every status",
        [("view", "all"), *[("status", s) for s in ("受付", "対応中", "つなぎ中", "見守り", "終結")]],
        True,
    ),
]


async def all_reads(case_url: str, tok: dict[str, str], found: Found, school_district: str) -> list[Read]:
    reads: list[Read] = []
    for who, label, params, deep in QUEUES:
        cursor = await deep_cursor(case_url, tok[who], params) if deep else None
        reads += queue_reads(who, label, params, cursor)
    reads += queue_reads(
        "coordinator", "school district", [("view", "all"), ("school_district", school_district)], None
    )
    long_id = found.long_case_id
    reads += [
        Read("search by case number", "case", "coordinator", "/v1/cases/search", [("q", found.case_number)]),
        Read("search by reference", "case", "coordinator", "/v1/cases/search", [("q", found.reference)]),
        Read("search by name", "case", "coordinator", "/v1/cases/search", [("q", found.name)]),
        Read("case detail", "case", "coordinator", f"/v1/cases/{found.case_id}"),
        Read("case detail (3,000 entries)", "case", "supervisor", f"/v1/cases/{long_id}"),
        Read("timeline", "case", "coordinator", f"/v1/cases/{found.case_id}/timeline"),
        Read("timeline (3,000), JSON", "case", "supervisor", f"/v1/cases/{long_id}/timeline"),
        Read(
            "timeline (3,000), kind=referral",
            "case",
            "supervisor",
            f"/v1/cases/{long_id}/timeline",
            [("kind", "referral")],
        ),
        Read("timeline (3,000), CSV", "case", "supervisor", f"/v1/cases/{long_id}/timeline", [("format", "csv")]),
        # The audit page reads a timeline page (below) and the whole chain verified.
        Read("verification", "case", "supervisor", f"/v1/cases/{found.case_id}/verification"),
        Read("verification (3,000)", "case", "supervisor", f"/v1/cases/{long_id}/verification"),
        Read(
            "timeline (3,000), page 1 of 100",
            "case",
            "supervisor",
            f"/v1/cases/{long_id}/timeline",
            [("per_page", "100")],
        ),
        Read(
            "timeline (3,000), page 20 of 100",
            "case",
            "supervisor",
            f"/v1/cases/{long_id}/timeline",
            [("page", "20"), ("per_page", "100")],
        ),
        Read(
            "timeline (3,000), kind=referral, page 1",
            "case",
            "supervisor",
            f"/v1/cases/{long_id}/timeline",
            [("kind", "referral"), ("per_page", "100")],
        ),
        Read(
            "agency inbox",
            "referral",
            "agency",
            "/v1/referrals",
            [("open", "true"), ("sort", "deadline"), ("limit", "200")],
        ),
        Read(
            "agency inbox (closed)",
            "referral",
            "agency",
            "/v1/referrals",
            [("open", "false"), ("sort", "deadline"), ("limit", "200")],
        ),
        Read("coordinator's referrals", "referral", "coordinator", "/v1/referrals"),
        Read("notifications", "notify", "coordinator", "/v1/notifications", [("unread", "false"), ("limit", "100")]),
        Read(
            "notifications, unread count",
            "notify",
            "coordinator",
            "/v1/notifications",
            [("unread", "true"), ("limit", "1")],
        ),
        Read("overdue", "notify", "supervisor", "/v1/overdue", [("per_page", "100")]),
    ]
    return reads


def figures_reads() -> list[Read]:
    """The dashboard: the case service's figures and the referral service's, each period, JSON and CSV."""
    reads = []
    for period in ("month", "quarter", "fiscal_year"):
        for fmt in ("json", "csv"):
            reads.append(
                Read(
                    f"figures {period} {fmt}",
                    "case",
                    "supervisor",
                    "/v1/figures",
                    [("period", period), ("format", fmt)],
                )
            )
            reads.append(
                Read(
                    f"referral figures {period} {fmt}",
                    "referral",
                    "supervisor",
                    "/v1/referrals/figures",
                    [("period", period), ("format", fmt)],
                )
            )
    reads.append(Read("figures coordinator month json", "case", "coordinator", "/v1/figures", [("period", "month")]))
    return reads


def as_dict(read: Read) -> dict[str, Any]:
    return {"service": read.service, "who": read.who, "path": read.path, "params": read.params}
