"""PDCA figures from the case service's own data (supervisors; a coordinator gets
their own area's)."""

from __future__ import annotations

import csv
import io
from collections import Counter
from typing import Any

from services.case.adapters.records import ReferralRepository
from services.case.adapters.repository import CaseRepository
from services.case.domain import figures as pdca
from services.case.domain.queue import age_days, visible_areas
from services.case.domain.status import OPEN_STATUSES
from services.case.handlers.common import read_snapshot, require_reader
from shared.clock import as_utc, jst_text
from shared.db.uow import UnitOfWork
from shared.identity import Identity
from shared.reference import ReferenceData


async def figures(uow: UnitOfWork, caller: Identity, reference: ReferenceData) -> dict[str, Any]:
    """``reference``: the data in use (its follow-up policy gives each referral's deadline)."""
    require_reader(caller)
    areas = visible_areas(caller.role, caller.scope)
    async with uow:
        await read_snapshot(uow)
        repo = CaseRepository(uow.db)
        cases = await repo.listing(areas, None, include_merged=True)
        consultations = [c for c in await repo.all_consultations() if areas is None or c["area"] in areas]
        case_ids = {c["id"] for c in cases}
        referrals = [r for r in await ReferralRepository(uow.db).everything() if r["case_id"] in case_ids]
    now = uow.clock.now()
    counted = [c for c in cases if not c["merged_into"]]
    by_category: Counter[str] = Counter()
    for c in consultations:
        by_category.update(c["categories"])
    first_contact = [
        pdca.hours_between(as_utc(c["opened_at"]), as_utc(c["first_contact_at"]))
        for c in counted
        if c["first_contact_at"]
    ]
    first_handoff = [
        pdca.hours_between(as_utc(c["opened_at"]), as_utc(c["first_handoff_at"]))
        for c in counted
        if c["first_handoff_at"]
    ]
    ageing: Counter[str] = Counter()
    for c in counted:
        if c["status"] in OPEN_STATUSES:
            ageing[pdca.ageing_bucket(age_days(as_utc(c["opened_at"]), now))] += 1
    return {
        "generated_at_jst": jst_text(now),
        "scope": "市全域" if areas is None else sorted(areas),
        "consultations": {
            "total": len(consultations),
            "by_area": dict(sorted(Counter(c["area"] for c in consultations).items())),
            "by_category": dict(sorted(by_category.items())),
            "by_channel": dict(sorted(Counter(c["channel"] for c in consultations).items())),
            "by_month": dict(sorted(Counter(pdca.month_of(as_utc(c["received_at"])) for c in consultations).items())),
        },
        "cases": {
            "total": len(counted),
            "open": sum(1 for c in counted if c["status"] in OPEN_STATUSES),
            "by_area": dict(sorted(Counter(c["area"] for c in counted).items())),
            "by_status": dict(sorted(Counter(c["status"] for c in counted).items())),
            "by_month_opened": dict(sorted(Counter(pdca.month_of(as_utc(c["opened_at"])) for c in counted).items())),
        },
        "time_to_first_contact": {
            **pdca.duration_stats(first_contact),
            "without_contact": sum(1 for c in counted if not c["first_contact_at"]),
        },
        "time_to_first_handoff": {
            **pdca.duration_stats(first_handoff),
            "without_handoff": sum(1 for c in counted if not c["first_handoff_at"]),
        },
        "referrals": _referral_figures(referrals, now, reference),
        "ageing_of_open_cases": {label: ageing.get(label, 0) for label, _, _ in pdca.AGEING_BUCKETS},
    }


def _referral_figures(referrals: list[dict[str, Any]], now: Any, reference: ReferenceData) -> dict[str, Any]:
    """Accepted within the deadline over the referrals whose outcome is known or whose
    deadline has passed. Each is judged against its own deadline (``pdca.decide_by``:
    the follow-up policy's decide span for its agency's kind and its urgency, in the
    agency's business calendar). ``deadline_business_days``: the policy's default
    decide span (None if the default is in hours)."""
    policy = reference.followups  # one policy for the whole count, even if a reload swaps it meanwhile
    requested = [r for r in referrals if r["requested_at"]]
    within = late = pending = 0
    for r in requested:
        deadline = pdca.decide_by(policy, r["requested_at"], reference.agency(r["agency_id"]), r["urgency"])
        if r["accepted_at"]:
            if pdca.accepted_within_deadline(r["accepted_at"], deadline):
                within += 1
            else:
                late += 1
        elif r["status"] in ("requested", "received", "acknowledged") and as_utc(now) <= deadline:
            pending += 1
    decided = len(requested) - pending
    return {
        "requested": len(requested),
        "accepted": within + late,
        "accepted_within_deadline": within,
        "accepted_late": late,
        "declined": sum(1 for r in requested if r["declined_at"]),
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
