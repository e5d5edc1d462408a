"""The coordinator's queue: who sees which case, priorities and the sort. No I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from shared.errors import InvalidInput
from shared.reference import CITY_WIDE

Priority = Literal["緊急", "高", "通常"]
PRIORITIES: tuple[str, ...] = ("緊急", "高", "通常")  # most urgent first
View = Literal["unassigned", "mine", "all"]


def priority_rank(priority: str) -> int:
    return PRIORITIES.index(priority) if priority in PRIORITIES else len(PRIORITIES)


def higher_priority(a: str, b: str) -> str:
    return a if priority_rank(a) <= priority_rank(b) else b


def check_priority(value: str) -> str:
    if value not in PRIORITIES:
        raise InvalidInput(f"優先度「{value}」はありません(使える値: {' / '.join(PRIORITIES)})。", field="priority")
    return value


def visible_areas(role: str, scope: str) -> frozenset[str] | None:
    """The areas a caller's queue covers; None = every area (a supervisor).

    A coordinator sees their own daily-life area and the city-wide queue (consultations
    whose school district is unknown wait there for someone to route them)."""
    if role == "supervisor":
        return None
    return frozenset({scope, CITY_WIDE})


def may_see(role: str, scope: str, area: str) -> bool:
    areas = visible_areas(role, scope)
    return areas is None or area in areas


@dataclass(frozen=True)
class QueueItem:
    case_id: str
    priority: str
    opened_at: datetime
    coordinator_id: str | None


def urgency_then_age(item: QueueItem) -> tuple[int, datetime, str]:
    """Most urgent first; within one priority, the longest waiting first."""
    return (priority_rank(item.priority), item.opened_at, item.case_id)


def in_view(item: QueueItem, view: str, me: str) -> bool:
    if view == "unassigned":
        return item.coordinator_id is None
    if view == "mine":
        return item.coordinator_id == me
    return True


def age_days(opened_at: datetime, now: datetime) -> int:
    return max(0, (now - opened_at).days)
