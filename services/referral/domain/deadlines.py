"""When an agency must respond to a referral: acknowledge by, accept or decline by.
No I/O.

The allowances come from the city's follow-up policy (``reference/followups.yaml``,
the same file the notify service chases them with): business days, or clock hours for
emergencies, by agency kind and urgency — most specific wins, step by step. Both are
counted from the moment the coordinator requested the referral. The business-day
arithmetic (Japan time, public holidays, year-end closure) is the shared kernel's
``shared.calendar``, so the deadline an agency is shown is the one it is chased on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from shared.calendar import JAPAN_PUBLIC, BusinessCalendar, Span

DEFAULT_CALENDAR = "jp-public"
STEPS = ("acknowledge", "decide")


@dataclass(frozen=True)
class ResponseDeadlines:
    acknowledge_by: datetime
    decide_by: datetime


@dataclass(frozen=True)
class ResponsePolicy:
    """Spans per step: ``default`` overridden by kind, then urgency, then kind+urgency."""

    default: Mapping[str, Span]
    by_kind: Mapping[str, Mapping[str, Span]] = field(default_factory=dict)
    by_urgency: Mapping[str, Mapping[str, Span]] = field(default_factory=dict)
    by_kind_urgency: Mapping[tuple[str, str], Mapping[str, Span]] = field(default_factory=dict)
    calendars: Mapping[str, BusinessCalendar] = field(default_factory=lambda: {DEFAULT_CALENDAR: JAPAN_PUBLIC})

    def spans(self, agency_kind: str, urgency: str) -> dict[str, Span]:
        merged = dict(self.default)
        merged.update(self.by_kind.get(agency_kind, {}))
        merged.update(self.by_urgency.get(urgency, {}))
        merged.update(self.by_kind_urgency.get((agency_kind, urgency), {}))
        return merged

    def has_calendar(self, name: str) -> bool:
        return name in self.calendars

    def calendar(self, name: str | None) -> BusinessCalendar:
        return self.calendars.get(name or DEFAULT_CALENDAR) or self.calendars.get(DEFAULT_CALENDAR, JAPAN_PUBLIC)

    def deadlines(self, requested_at: datetime, *, agency_kind: str, urgency: str,
                  calendar: str) -> ResponseDeadlines:
        spans = self.spans(agency_kind, urgency)
        cal = self.calendar(calendar)
        return ResponseDeadlines(acknowledge_by=spans["acknowledge"].after(requested_at, cal),
                                 decide_by=spans["decide"].after(requested_at, cal))


# Used where no policy file is given (unit tests): 1 business day to acknowledge, 3 to decide.
DEFAULT_POLICY = ResponsePolicy(default={"acknowledge": Span(business_days=1), "decide": Span(business_days=3)})
