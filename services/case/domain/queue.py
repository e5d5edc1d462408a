"""The coordinator's queue: who sees which case, and the priorities in the queue's order
(the sort itself is SQL: adapters/queue.py). No I/O."""

from __future__ import annotations

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
    whose school district is unknown wait there for someone to route them). Anyone else:
    no area (a helper reads only the tasks given to them)."""
    if role == "supervisor":
        return None
    if role != "coordinator":
        return frozenset()  # agencies, reporters and helpers reach no case through the queue
    return frozenset({scope, CITY_WIDE})


def may_see(role: str, scope: str, area: str) -> bool:
    areas = visible_areas(role, scope)
    return areas is None or area in areas


def age_days(opened_at: datetime, now: datetime) -> int:
    return max(0, (now - opened_at).days)
