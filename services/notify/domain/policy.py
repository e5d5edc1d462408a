"""Notify's rule on top of the city's follow-up policy (``shared.followups``, read with
the reference data): the escalation ladder — who is told, and when, once a step's
deadline has passed. No I/O."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from shared.calendar import BusinessCalendar
from shared.followup_sections import CaseDeadlines, Deadlines
from shared.spans import Span

# The escalation ladder: rung 1 reminds the agency, rung 2 the coordinator, rung 3
# the supervisor. ``level`` on a follow-up counts the rungs already fired.
LADDER: tuple[Literal["agency", "coordinator", "supervisor"], ...] = ("agency", "coordinator", "supervisor")


def ladder_times(deadlines: Deadlines, due_at: datetime, calendar: BusinessCalendar) -> list[datetime]:
    """When each rung fires, derived from the deadline alone (so a catch-up after
    downtime fires the same rungs at the same nominal times): at the deadline, then
    ``escalate_to_coordinator`` after it, then ``escalate_to_supervisor`` after that."""
    coordinator_at = deadlines.escalate_to_coordinator.after(due_at, calendar)
    supervisor_at = deadlines.escalate_to_supervisor.after(coordinator_at, calendar)
    return [due_at, coordinator_at, supervisor_at]


def case_ladder_times(
    step: str, deadlines: CaseDeadlines, due_at: datetime, calendar: BusinessCalendar
) -> list[datetime]:
    """When each rung of a case's own timer fires: an unassigned case at the deadline,
    then ``escalate_to_supervisor`` after it; an uncontacted case at the deadline only.
    Told while the office is open (a deadline at 24:00 of a business day: at the next
    opening, never on a closed day); a span in clock hours (緊急) at once, day or night."""

    def told(at: datetime, span: Span) -> datetime:
        return at if span.hours is not None else calendar.next_open(at)

    if step == "assign":
        escalated = deadlines.escalate_to_supervisor.after(due_at, calendar)
        return [told(due_at, deadlines.assign), told(escalated, deadlines.escalate_to_supervisor)]
    return [told(due_at, deadlines.first_contact)]
