"""Reads: the queue, one case in full, its timeline. Every read of a case is recorded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.case.adapters.queue import QueueFilter, QueueRepository, sort_key
from services.case.adapters.records import RecordRepository, ReferralRepository
from services.case.adapters.repository import CaseRepository
from services.case.adapters.timeline import TimelineRepository
from services.case.domain.moves import CaseState, allowed_statuses, referral_refusal
from services.case.domain.queue import visible_areas
from services.case.domain.referrals import share_options
from services.case.domain.status import OPEN_STATUSES
from services.case.domain.timeline import content_hash
from services.case.domain.waits import waits_of
from services.case.handlers.common import family_ids, load_visible, read_snapshot, require_reader
from services.case.handlers.reads import record_read
from shared.calendar import BusinessCalendar
from shared.clock import as_utc
from shared.db.uow import UnitOfWork
from shared.http.paging import Window
from shared.identity import Identity

# Contacts and notes a case detail holds: the newest (with how many there are in all).
LATEST_RECORDS = 20

# What a queue row shows (not the person, the consent or the milestones).
QUEUE_COLUMNS = (
    "id",
    "case_number",
    "area",
    "school_district",
    "status",
    "stage",
    "priority",
    "categories",
    "coordinator_id",
    "opened_at",
    "merged_into",
    "sample",
    "version",
    # How long it has waited for each step (domain/waits.py).
    "received_at",
    "assigned_at",
    "first_contact_at",
    "decision_needed_at",
)


@dataclass(frozen=True)
class QueueQuery:
    view: str = "all"
    statuses: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    school_districts: tuple[str, ...] = ()
    area: str | None = None
    min_age_days: int | None = None
    max_age_days: int | None = None
    needs_attention: bool | None = None
    offset: int = 0
    limit: int = 50
    after: tuple[Any, ...] | None = None  # a cursor's sort key


async def queue(uow: UnitOfWork, query: QueueQuery, caller: Identity, calendar: BusinessCalendar) -> dict[str, Any]:
    """One area's queue (a supervisor: every area). Without a status filter it holds the
    open cases. Sorted by urgency, then by how long the case has waited."""
    require_reader(caller)
    areas = visible_areas(caller.role, caller.scope)
    if query.area is not None:
        areas = frozenset({query.area}) if areas is None or query.area in areas else frozenset()
    wanted = QueueFilter(
        areas=areas,
        statuses=query.statuses or tuple(OPEN_STATUSES),
        priorities=query.priorities,
        categories=query.categories,
        school_districts=query.school_districts,
        min_age_days=query.min_age_days,
        max_age_days=query.max_age_days,
        needs_attention=query.needs_attention,
    )
    now = uow.clock.now()
    async with uow:
        await read_snapshot(uow)
        repo = QueueRepository(uow.db)
        counts = await repo.counts(wanted, caller.subject, now)
        page = await repo.page(
            wanted, query.view, caller.subject, now, QUEUE_COLUMNS, query.offset, query.limit, query.after
        )
        attention = await repo.attention_of([r["id"] for r in page])
    for row in page:
        row["opened_at"] = as_utc(row["opened_at"])
        row["attention"] = attention.get(row["id"], [])
        row["waits"] = waits_of(row, now, calendar)
    last_key = sort_key(page[-1]) if page else None
    return {"items": page, "total": counts[query.view], "counts": counts, "now": now, "last_key": last_key}


async def case_detail(
    uow: UnitOfWork, case_id: str, caller: Identity, calendar: BusinessCalendar, *, close_by_approval: bool = False
) -> dict[str, Any]:
    """The case page's case; ``close_by_approval``: closing a watched case waits for a
    supervisor (reference/approvals.yaml), so 終結 is offered and answered with the request."""
    require_reader(caller)
    async with uow:
        await read_snapshot(uow)
        case = await load_visible(uow, case_id, caller)
        family = await family_ids(uow, case_id)
        repo, records = CaseRepository(uow.db), RecordRepository(uow.db)
        case["merged_cases"] = family[1:]
        case["consultations"] = await repo.consultations_of(family)
        case["household"] = await repo.members_of(family)
        case["referrals"] = await ReferralRepository(uow.db).of_cases(family)
        case["contacts"], case["contacts_total"] = await records.contacts_of(family, LATEST_RECORDS)
        case["notes"], case["notes_total"] = await records.notes_of(family, LATEST_RECORDS)
        case["link_offers"] = await repo.offers_about([case_id])
        case["attention"] = [r for r in case["referrals"] if r["needs_attention"]]
        await record_read(uow, case_id, caller, "detail")
    # What the page may offer: the same rules the commands refuse with.
    state = CaseState.of(case)
    case["allowed_statuses"] = allowed_statuses(state, close_by_approval=close_by_approval)
    case["referable_reason"] = referral_refusal(state)
    case["share_options"] = share_options(case["consent"], case["legal_ground"])
    case["waits"] = waits_of(case, uow.clock.now(), calendar)
    return case


async def timeline_of(
    uow: UnitOfWork,
    case_id: str,
    kinds: list[str],
    caller: Identity,
    what: str = "timeline",
    window: Window | None = None,
) -> dict[str, Any]:
    """Every event about the case (and the cases merged into it) from every service, in
    event-id order, or the ``window`` of them (``after``: the event id of the page before);
    each entry says whether it still matches the hash it was recorded with (an entry
    retention erased stands by its recorded hash, as in verification)."""
    require_reader(caller)
    async with uow:
        await read_snapshot(uow)
        case = await load_visible(uow, case_id, caller)
        family = await family_ids(uow, case_id)
        repo = TimelineRepository(uow.db)
        if window is None:
            entries, total = await repo.page_of_cases(family, kinds)
        else:
            after = str(window.after[0]) if window.after else None
            entries, total = await repo.page_of_cases(family, kinds, window.offset, window.limit, after)
        await record_read(uow, case_id, caller, what)
    for entry in entries:
        entry["occurred_at"] = as_utc(entry["occurred_at"])
        entry["intact"] = entry["erased_at"] is not None or entry["content_hash"] == content_hash(
            event_id=entry["event_id"],
            case_id=entry["case_id"],
            type_=entry["type"],
            occurred_at=entry["occurred_at"],
            actor_role=entry["actor_role"],
            actor_id=entry["actor_id"],
            summary=entry["summary"],
        )
    last_key = (entries[-1]["event_id"],) if entries else None
    return {"case": case, "entries": entries, "total": total, "last_key": last_key}
