"""Retention (保存期間): when a closed case is due, and what of a timeline entry's
summary is erased. No I/O."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.events.case import ERASED_TEXT as ERASED

# The summary keys that may carry someone's own words (a reason, a legal ground, a
# note): everything else in a summary is an identifier, a choice or a time.
_FREE_TEXT = frozenset({"reason", "legal_ground", "note", "name", "body", "outcome", "whom"})


def closed_before(now: datetime, years: int) -> datetime:
    """Cases closed before this moment are past the retention period: the same date
    ``years`` earlier (29 February falls back to the 28th)."""
    day = 28 if (now.month, now.day) == (2, 29) else now.day
    return now.replace(year=now.year - years, day=day)


def erased_summary(summary: dict[str, Any]) -> dict[str, Any]:
    return {k: (ERASED if k in _FREE_TEXT and v is not None else v) for k, v in summary.items()}
