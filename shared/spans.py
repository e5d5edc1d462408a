"""A time allowance of the follow-up policy (``reference/followups.yaml``): business days,
business hours or clock hours, counted on a ``BusinessCalendar``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shared.calendar import BusinessCalendar


class SpanError(ValueError):
    pass


@dataclass(frozen=True)
class Span:
    """A time allowance of the follow-up policy (``reference/followups.yaml``, read by
    ``shared.followups``): business days (end of the Nth business day) or clock hours
    (emergencies)."""

    business_days: int | None = None
    hours: float | None = None
    business_hours: float | None = None

    @classmethod
    def from_config(cls, raw: Any) -> Span:
        """``{business_days: N}`` (an integer ≥ 1), ``{hours: H}`` or ``{business_hours: H}``
        (> 0); raises SpanError saying what to write instead (the caller adds where it was)."""
        if not isinstance(raw, dict) or len(raw) != 1:
            raise SpanError(f"expected {{business_days: N}}, {{hours: H}} or {{business_hours: H}}, got {raw!r}")
        ((key, value),) = raw.items()
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if key == "business_days":
            if number and isinstance(value, int) and value >= 1:
                return cls(business_days=value)
            raise SpanError(f"business_days must be an integer ≥ 1, got {value!r}")
        if key in ("hours", "business_hours"):
            if number and value > 0:
                return cls(hours=float(value)) if key == "hours" else cls(business_hours=float(value))
            raise SpanError(f"{key} must be a number > 0, got {value!r}")
        raise SpanError(
            f"{key!r} is not a span: write {{business_days: N}} (integer ≥ 1), {{hours: H}} or "
            f"{{business_hours: H}} (> 0), got {raw!r}"
        )

    def after(self, start: datetime, calendar: BusinessCalendar) -> datetime:
        if self.hours is not None:
            return start + timedelta(hours=self.hours)
        if self.business_hours is not None:
            return calendar.business_hours_after(start, self.business_hours)
        assert self.business_days is not None
        return calendar.business_deadline(start, self.business_days)

    def describe(self) -> str:
        if self.hours is not None:
            return f"{self.hours:g}時間"
        if self.business_hours is not None:
            return f"{self.business_hours:g}営業時間"
        return f"{self.business_days}営業日"
