"""Notify's rule on top of the city's follow-up policy (``shared.followups``, read with
the reference data): the escalation ladder — who is told, and when, once a step's
deadline has passed. No I/O."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from shared.calendar import BusinessCalendar
from shared.followups import Deadlines

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
