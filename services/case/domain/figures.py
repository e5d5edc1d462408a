"""PDCA arithmetic for supervisors: referral deadlines, durations, quantiles, ageing
buckets. No I/O."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping
from datetime import datetime, timedelta

from shared.clock import as_utc, to_jst
from shared.followups import FollowupPolicy
from shared.reference import Agency

AGEING_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-7日", 0, 7),
    ("8-30日", 8, 30),
    ("31-90日", 31, 90),
    ("91日以上", 91, None),
)
# The quantiles a period's durations are summarised by: median and 90th percentile.
QUANTILES: tuple[float, ...] = (0.5, 0.9)


def decide_by(policy: FollowupPolicy, requested_at: datetime, agency: Agency | None, urgency: str | None) -> datetime:
    """When the agency had to accept or decline a referral: the follow-up policy's
    ``decide`` span for the agency's kind and the referral's urgency, counted from the
    request in the agency's business calendar — the deadline the referral service shows
    the agency and judges its own figures by (both through ``FollowupPolicy.due``). An
    agency missing from the directory: the default span and calendar."""
    return policy.due(
        "decide",
        as_utc(requested_at),
        agency_kind=agency.kind if agency else None,
        urgency=urgency,
        calendar=agency.calendar if agency else None,
    )


def accepted_within_deadline(accepted_at: datetime, deadline: datetime) -> bool:
    """Accepted at or before the deadline (24:00 JST of its last business day, or the
    clock hour of an emergency's)."""
    return as_utc(accepted_at) <= as_utc(deadline)


def hours_between(start: datetime, end: datetime) -> float:
    return max(0.0, (end - start).total_seconds() / 3600)


def duration_stats(hours: list[float]) -> dict[str, float | int | None]:
    if not hours:
        return {"count": 0, "median_hours": None, "mean_hours": None, "max_hours": None}
    return {
        "count": len(hours),
        "median_hours": round(statistics.median(hours), 1),
        "mean_hours": round(statistics.fmean(hours), 1),
        "max_hours": round(max(hours), 1),
    }


def quantile(ranked: Mapping[int, float], count: int, q: float) -> float | None:
    """The ``q`` quantile of ``count`` sorted values, interpolated between the two nearest
    ranks (PostgreSQL's percentile_cont; q = 0.5 is the usual median). ``ranked`` maps a
    0-based rank to its value and needs only the ranks around ``q * (count - 1)``, so the
    database sorts and hands back a few rows per group instead of every value."""
    if count <= 0:
        return None
    position = q * (count - 1)
    low = math.floor(position)
    below = ranked[low]
    above = ranked.get(low + 1, below)
    return below + (above - below) * (position - low)


def ageing_bucket(days: int) -> str:
    for label, low, high in AGEING_BUCKETS:
        if days >= low and (high is None or days <= high):
            return label
    return AGEING_BUCKETS[-1][0]


def ageing_cutoffs(now: datetime) -> tuple[list[tuple[str, datetime]], str]:
    """For counting open cases by age in SQL: each bucket with the opening time after which
    a case is still in it (age in whole days, as ``ageing_bucket``), and the last bucket."""
    bounded = [(label, now - timedelta(days=high + 1)) for label, _, high in AGEING_BUCKETS if high is not None]
    return bounded, AGEING_BUCKETS[-1][0]


def month_of(value: datetime) -> str:
    return f"{to_jst(value):%Y-%m}"
