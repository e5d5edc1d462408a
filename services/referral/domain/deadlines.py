"""When an agency must respond to a referral: acknowledge by, accept or decline by.
No I/O.

The allowances come from the city's follow-up policy (``shared.followups``, the
``followups.yaml`` of the reference data, which the notify service chases them with):
business days, or clock hours for emergencies, by agency kind and urgency — most
specific wins, step by step. Both are counted from the moment the coordinator requested
the referral, in the agency's business calendar (``shared.calendar``), so the deadline
an agency is shown is the one it is chased on — and the one the figures judge."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.followups import FollowupPolicy


@dataclass(frozen=True)
class ResponseDeadlines:
    acknowledge_by: datetime
    decide_by: datetime


def response_deadlines(
    policy: FollowupPolicy, requested_at: datetime, *, agency_kind: str, urgency: str, calendar: str
) -> ResponseDeadlines:
    def due(step: str) -> datetime:
        return policy.due(step, requested_at, agency_kind=agency_kind, urgency=urgency, calendar=calendar)

    return ResponseDeadlines(acknowledge_by=due("acknowledge"), decide_by=due("decide"))
