"""The referral figures' read: each referral's outcome judged in SQL and counted per
period and agency (GROUP BY), so a period costs a few rows whatever its referrals."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, literal, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

from services.referral.adapters.orm import referrals
from services.referral.domain.lifecycle import Status


def outcome(now: datetime) -> ColumnElement[str]:
    """The outcome of ``domain/figures.py`` (its docstring is the rule), as a CASE."""
    r = referrals.c
    decided = r.decided_at.is_not(None)
    at_now = literal(now, r.decide_by.type)
    return case(
        (r.status == Status.DECLINED.value, "declined"),
        (and_(decided, r.decided_at <= r.decide_by), "accepted_within_deadline"),
        (decided, "accepted_late"),
        (r.decide_by.is_(None), "closed_without_decision"),
        (r.decide_by < func.coalesce(r.closed_at, at_now), "past_deadline_undecided"),
        (r.closed_at.is_(None), "still_within_deadline"),
        else_="closed_without_decision",
    )


async def outcomes_by_period(
    db: AsyncConnection, cuts: Sequence[datetime], now: datetime, area: str | None
) -> list[tuple[int, str, str, int]]:
    """(period index, agency id, outcome, count) for the referrals requested in each range
    [cuts[i], cuts[i + 1]) — of ``area`` only, unless None."""
    requested = referrals.c.requested_at
    period = case(*((requested < cut, i) for i, cut in enumerate(cuts[1:])))
    rows = (
        select(period.label("period"), referrals.c.agency_id, outcome(now).label("outcome"))
        .where(requested >= cuts[0], requested < cuts[-1], true() if area is None else referrals.c.area == area)
        .subquery()
    )
    query = select(rows.c.period, rows.c.agency_id, rows.c.outcome, func.count()).group_by(
        rows.c.period, rows.c.agency_id, rows.c.outcome
    )
    counts: Sequence[tuple[int, str, str, int]] = (await db.execute(query)).all()
    return [(int(p), a, o, int(n)) for p, a, o, n in counts]
