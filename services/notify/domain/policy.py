"""The follow-up policy (``reference/followups.yaml``): which deadlines apply to a
referral, by agency kind and urgency, and when each rung of the escalation ladder
comes due. No I/O: it is built from an already-parsed mapping."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from shared.calendar import JAPAN_PUBLIC, BusinessCalendar, Span, SpanError

Step = Literal["acknowledge", "decide", "progress"]
STEPS: tuple[Step, ...] = ("acknowledge", "decide", "progress")
SPAN_KEYS = ("acknowledge", "decide", "progress", "escalate_to_coordinator", "escalate_to_supervisor")
DEFAULT_CALENDAR = "jp-public"


class PolicyError(ValueError):
    pass


@dataclass(frozen=True)
class Deadlines:
    acknowledge: Span
    decide: Span
    progress: Span
    escalate_to_coordinator: Span
    escalate_to_supervisor: Span

    def for_step(self, step: str) -> Span:
        return getattr(self, step)


# The escalation ladder: rung 1 reminds the agency, rung 2 the coordinator, rung 3
# the supervisor. ``level`` on a follow-up counts the rungs already fired.
LADDER: tuple[Literal["agency", "coordinator", "supervisor"], ...] = ("agency", "coordinator", "supervisor")


def ladder_times(deadlines: Deadlines, due_at: datetime, calendar: BusinessCalendar) -> list[datetime]:
    """When each rung fires, derived from the deadline alone (so a catch-up after
    downtime fires the same rungs at the same nominal times)."""
    coordinator_at = deadlines.escalate_to_coordinator.after(due_at, calendar)
    supervisor_at = deadlines.escalate_to_supervisor.after(coordinator_at, calendar)
    return [due_at, coordinator_at, supervisor_at]


@dataclass(frozen=True)
class FollowupPolicy:
    default: dict[str, Span]
    by_kind: dict[str, dict[str, Span]]
    by_urgency: dict[str, dict[str, Span]]
    by_kind_urgency: dict[tuple[str, str], dict[str, Span]]
    calendars: dict[str, BusinessCalendar]

    def deadlines(self, agency_kind: str | None, urgency: str | None) -> Deadlines:
        merged = dict(self.default)
        merged.update(self.by_kind.get(agency_kind or "", {}))
        merged.update(self.by_urgency.get(urgency or "", {}))
        merged.update(self.by_kind_urgency.get((agency_kind or "", urgency or ""), {}))
        return Deadlines(**merged)

    def calendar(self, name: str | None) -> BusinessCalendar:
        return self.calendars.get(name or DEFAULT_CALENDAR) or self.calendars.get(DEFAULT_CALENDAR, JAPAN_PUBLIC)

    @classmethod
    def from_mapping(cls, raw: dict[str, Any]) -> "FollowupPolicy":
        if not isinstance(raw, dict):
            raise PolicyError("followups.yaml: expected a mapping at the top level")
        unknown = set(raw) - {"sample", "calendars", "default", "urgency", "agency_kinds"}
        if unknown:
            raise PolicyError(f"followups.yaml: unknown sections {sorted(unknown)}")
        default = _spans("default", raw.get("default"), required=True)
        by_urgency = {u: _spans(f"urgency.{u}", v) for u, v in (raw.get("urgency") or {}).items()}
        by_kind: dict[str, dict[str, Span]] = {}
        by_kind_urgency: dict[tuple[str, str], dict[str, Span]] = {}
        for kind, section in (raw.get("agency_kinds") or {}).items():
            section = dict(section or {})
            for urgency, spans in (section.pop("urgency", None) or {}).items():
                by_kind_urgency[(kind, urgency)] = _spans(f"agency_kinds.{kind}.urgency.{urgency}", spans)
            by_kind[kind] = _spans(f"agency_kinds.{kind}", section)
        calendars = {}
        for name, config in (raw.get("calendars") or {}).items():
            try:
                calendars[name] = BusinessCalendar.from_config(config)
            except ValueError as exc:
                raise PolicyError(f"calendars.{name}: {exc}") from exc
        calendars.setdefault(DEFAULT_CALENDAR, JAPAN_PUBLIC)
        return cls(default=default, by_kind=by_kind, by_urgency=by_urgency,
                   by_kind_urgency=by_kind_urgency, calendars=calendars)


def _spans(where: str, raw: Any, *, required: bool = False) -> dict[str, Span]:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise PolicyError(f"{where}: expected a mapping")
    unknown = set(raw) - set(SPAN_KEYS)
    if unknown:
        raise PolicyError(f"{where}: unknown keys {sorted(unknown)} (allowed: {', '.join(SPAN_KEYS)})")
    if required and set(raw) != set(SPAN_KEYS):
        raise PolicyError(f"{where}: must set every one of {', '.join(SPAN_KEYS)}")
    try:
        return {key: Span.parse(f"{where}.{key}", value) for key, value in raw.items()}
    except SpanError as exc:
        raise PolicyError(str(exc)) from exc
