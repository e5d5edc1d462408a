"""How long a case has waited for each step the queue shows, and when its coordinator
owes a decision (要判断). Pure rules on the business-day calendar; no I/O.

- 未割当: from intake's receipt until a coordinator takes it, in business hours.
- 初回接触待ち: from the first assignment until the first contact, in business days.
- 要判断: every referral of the case has ended (completed, declined, cancelled, failed)
  and nothing has been decided since — 見守り with a plan, another referral or 終結."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from services.case.domain.status import CLOSED
from shared.calendar import BusinessCalendar
from shared.clock import JST, as_utc

WaitStep = Literal["assignment", "first_contact", "decision"]
WAIT_LABELS: dict[str, str] = {"assignment": "未割当", "first_contact": "初回接触待ち", "decision": "要判断"}
ENDED_REFERRAL = frozenset({"declined", "completed", "failed", "cancelled"})


@dataclass(frozen=True)
class Wait:
    step: WaitStep
    since: datetime
    amount: int  # whole business hours (assignment) or business days begun since (the others)
    unit: Literal["business_hours", "business_days"]

    @property
    def label(self) -> str:
        return WAIT_LABELS[self.step]

    @property
    def text(self) -> str:
        return f"{self.label} {self.amount}{'営業時間' if self.unit == 'business_hours' else '営業日'}"


def _days_since(calendar: BusinessCalendar, since: datetime, now: datetime) -> int:
    return calendar.business_days_between(as_utc(since).astimezone(JST).date(), as_utc(now).astimezone(JST).date())


def waits_of(case: Mapping[str, Any], now: datetime, calendar: BusinessCalendar) -> list[Wait]:
    """The steps an open case is waiting for, each with how long, in the queue's words."""
    if case["status"] == CLOSED or case.get("merged_into"):
        return []
    found: list[Wait] = []
    if case["coordinator_id"] is None:
        since = as_utc(case.get("received_at") or case["opened_at"])
        hours = math.floor(calendar.business_hours_between(since, now))
        found.append(Wait("assignment", since, hours, "business_hours"))
    elif case.get("first_contact_at") is None:
        since = as_utc(case.get("assigned_at") or case.get("received_at") or case["opened_at"])
        found.append(Wait("first_contact", since, _days_since(calendar, since, now), "business_days"))
    if case.get("decision_needed_at") is not None:
        since = as_utc(case["decision_needed_at"])
        found.append(Wait("decision", since, _days_since(calendar, since, now), "business_days"))
    return found


def all_ended(statuses: Iterable[str]) -> bool:
    """The case has referrals and none of them is still running."""
    listed = list(statuses)
    return bool(listed) and all(s in ENDED_REFERRAL for s in listed)


def decision_becomes_due(
    *, case_status: str, merged: bool, watching: bool, before: Iterable[str], after: Iterable[str]
) -> bool:
    """Whether a referral's move leaves the case owing a decision: its last running
    referral has just ended, on an open case not merged away and not already on a watch
    plan (a plan is a decision already made)."""
    if case_status == CLOSED or merged or watching:
        return False
    return all_ended(after) and not all_ended(before)
