"""PDCA figures from the case service's own data (supervisors; a coordinator gets
their own area's)."""

from __future__ import annotations

import asyncio
import csv
import io
from collections import Counter
from datetime import datetime
from typing import Any

from services.case.adapters.figure_projection import read_projected
from services.case.adapters.figures import MEASURES, FigureQueries
from services.case.adapters.records import ReferralRepository
from services.case.domain import figures as pdca
from services.case.domain.period_figures import Counted
from services.case.domain.queue import visible_areas
from services.case.domain.status import OPEN_STATUSES
from services.case.handlers.common import read_snapshot, require_reader
from services.case.handlers.figure_months import counted_months
from shared.clock import as_utc, jst_text
from shared.db.uow import UnitOfWork
from shared.identity import Identity
from shared.periods import Month, month_boundaries, months_between
from shared.reference import ReferenceData


async def figures(uow: UnitOfWork, caller: Identity, reference: ReferenceData) -> dict[str, Any]:
    """``reference``: the data in use (its follow-up policy gives each referral's deadline).
    Counted by the database per month (closed months from the projection), never one
    Python object per case or consultation."""
    require_reader(caller)
    areas = visible_areas(caller.role, caller.scope)
    now = uow.clock.now()
    cutoffs, oldest = pdca.ageing_cutoffs(now)
    async with uow:
        await read_snapshot(uow)
        queries = FigureQueries(uow.db, areas)
        ends = await queries.first_and_last()
        span = months_between(Month.of(ends[0]), Month.of(ends[1])) if ends else ()
        kept = await read_projected(uow.db, [m for m in span if m < Month.of(now)], areas)
        counted = await counted_months(queries, span, kept)
        statuses = await queries.cases_by_status()
        durations = {}
        for measure in MEASURES:
            # No case yet: no months to cut (and nothing to summarise).
            n, median, mean, longest = (
                await queries.duration_summary(measure, month_boundaries(span)) if span else (0, None, None, None)
            )
            durations[measure] = {
                "count": n,
                "median_hours": median,
                "mean_hours": None if mean is None else round(mean, 1),
                "max_hours": None if longest is None else round(longest, 1),
            }
        ages = await queries.open_case_ages(cutoffs, oldest, OPEN_STATUSES)
        requested = await ReferralRepository(uow.db).requested_in(areas)
    # Each referral's deadline is the calendar's arithmetic: off the event loop.
    referrals = await asyncio.to_thread(_referral_figures, requested, now, reference)
    return _shaped(now, areas, span, counted, statuses, durations, referrals, ages)


def _shaped(
    now: datetime,
    areas: frozenset[str] | None,
    span: tuple[Month, ...],
    counted: Counted,
    statuses: dict[str, int],
    durations: dict[str, dict[str, Any]],
    referrals: dict[str, Any],
    ages: dict[str, int],
) -> dict[str, Any]:
    by = {name: Counter[str]() for name in ("area", "channel", "category", "month", "case_area", "case_month")}
    for month, area, _, channel, n in counted.consultations:
        by["area"][area] += n
        by["channel"][channel] += n
        by["month"][span[month].text] += n
    for _, category, n in counted.categories:
        by["category"][category] += n
    for month, area, n in counted.cases:
        by["case_area"][area] += n
        by["case_month"][span[month].text] += n
    total = sum(by["case_area"].values())

    def listed(name: str) -> dict[str, int]:
        return dict(sorted((k, v) for k, v in by[name].items() if v))

    return {
        "generated_at_jst": jst_text(now),
        "scope": "市全域" if areas is None else sorted(areas),
        "consultations": {
            "total": sum(by["area"].values()),
            "by_area": listed("area"),
            "by_category": listed("category"),
            "by_channel": listed("channel"),
            "by_month": listed("month"),
        },
        "cases": {
            "total": total,
            "open": sum(n for status, n in statuses.items() if status in OPEN_STATUSES),
            "by_area": listed("case_area"),
            "by_status": dict(sorted(statuses.items())),
            "by_month_opened": listed("case_month"),
        },
        "time_to_assignment": {
            **durations["assigned_at"],
            "without_assignment": total - durations["assigned_at"]["count"],
        },
        "time_to_triage": {**durations["triaged_at"], "without_triage": total - durations["triaged_at"]["count"]},
        "time_to_first_contact": {
            **durations["first_contact_at"],
            "without_contact": total - durations["first_contact_at"]["count"],
        },
        "time_to_first_handoff": {
            **durations["first_handoff_at"],
            "without_handoff": total - durations["first_handoff_at"]["count"],
        },
        "referrals": referrals,
        "ageing_of_open_cases": {label: ages.get(label, 0) for label, _, _ in pdca.AGEING_BUCKETS},
    }


def _referral_figures(requested: list[tuple[Any, ...]], now: datetime, reference: ReferenceData) -> dict[str, Any]:
    """Accepted within the deadline over the referrals whose outcome is known or whose
    deadline has passed. Each is judged against its own deadline (``pdca.decide_by``:
    the follow-up policy's decide span for its agency's kind and its urgency, in the
    agency's business calendar). ``deadline_business_days``: the policy's default
    decide span (None if the default is in hours). ``requested``: (agency id, urgency,
    requested, accepted, declined, status) of each requested referral."""
    policy = reference.followups  # one policy for the whole count, even if a reload swaps it meanwhile
    within = late = pending = declined = 0
    for agency_id, urgency, requested_at, accepted_at, declined_at, status in requested:
        deadline = pdca.decide_by(policy, requested_at, reference.agency(agency_id), urgency)
        if accepted_at:
            if pdca.accepted_within_deadline(accepted_at, deadline):
                within += 1
            else:
                late += 1
        elif status in ("requested", "received", "acknowledged") and as_utc(now) <= deadline:
            pending += 1
        declined += declined_at is not None
    decided = len(requested) - pending
    return {
        "requested": len(requested),
        "accepted": within + late,
        "accepted_within_deadline": within,
        "accepted_late": late,
        "declined": declined,
        "still_within_deadline": pending,
        "deadline_business_days": policy.default.decide.business_days,
        "share_accepted_within_deadline": round(within / decided, 3) if decided else None,
    }


def figures_csv(data: dict[str, Any]) -> str:
    """One row per figure: section, measure, key, value."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(("section", "measure", "key", "value"))
    for section, content in data.items():
        if not isinstance(content, dict):
            writer.writerow((section, "", "", content if not isinstance(content, list) else " ".join(content)))
            continue
        for measure, value in content.items():
            if isinstance(value, dict):
                for key, item in value.items():
                    writer.writerow((section, measure, key, item))
            else:
                writer.writerow((section, measure, "", "" if value is None else value))
    return buffer.getvalue()
