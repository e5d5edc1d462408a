"""Case numbers staff can say on the phone. No I/O."""

from __future__ import annotations

from datetime import datetime

from shared.clock import to_jst


def case_number(case_id: str, opened_at: datetime) -> str:
    """``K-2611-7K3Q9M``: K, the JST year and month, and the last six characters of the
    case's ULID (30 random bits: unique for a city's case load; the column is unique)."""
    return f"K-{to_jst(opened_at):%y%m}-{case_id[-6:]}"
