"""Watch plans (見守り): who keeps an eye on the person, how often, until when — and
each check-in. The rules every command and the case page share. No I/O.

A case has at most one active plan. A plan is started on an open case, changed or
ended while active; a check-in is recorded on the active plan, at a plausible time
(``shared.plausible``: not before the plan, not in the future). The next check-in is
due at the end of the day ``every`` days (or business days, on the city's calendar)
after the latest check-in — or after the start — and not at all once that is past
the plan's last day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from services.case.domain.moves import CaseState, check_workable
from shared.calendar import BusinessCalendar
from shared.clock import as_utc
from shared.errors import Conflict, InvalidInput
from shared.events.watch import CheckInOutcome

ACTIVE = "active"
ENDED = "ended"
# The longest rhythm a plan may have: a watch rarer than this is no watch.
MAX_EVERY = {"days": 90, "business_days": 60}
# A plan runs at most this long before it is reconsidered (and renewed by a change).
MAX_LENGTH = timedelta(days=366)
# Outcomes the area's coordinators hear of at once.
ALERTING: frozenset[str] = frozenset({"気になる変化", "緊急"})
UNIT_LABELS = {"days": "日", "business_days": "営業日"}


@dataclass(frozen=True)
class Rhythm:
    """How often: every ``every`` days or business days."""

    every: int
    unit: str

    def check(self) -> Rhythm:
        limit = MAX_EVERY.get(self.unit)
        if limit is None:
            raise InvalidInput(f"間隔の単位「{self.unit}」はありません(days / business_days)。", field="unit")
        if not 1 <= self.every <= limit:
            raise InvalidInput(f"間隔は1〜{limit}{UNIT_LABELS[self.unit]}で指定してください。", field="every")
        return self

    def due_after(self, moment: datetime, calendar: BusinessCalendar) -> datetime:
        """The end (24:00 JST) of the day the next check-in is due, counted from ``moment``'s day."""
        if self.unit == "business_days":
            return calendar.business_deadline(moment, self.every)
        return calendar.end_of_day(calendar.jst_day_of(moment) + timedelta(days=self.every))

    def describe(self) -> str:
        return f"{self.every}{UNIT_LABELS[self.unit]}ごと"


@dataclass(frozen=True)
class PlanState:
    """The facts of a plan the rules look at."""

    status: str
    started_at: datetime
    until: date
    last_checkin_at: datetime | None

    @classmethod
    def of(cls, plan: dict[str, Any]) -> PlanState:
        last = plan["last_checkin_at"]
        return cls(
            status=plan["status"],
            started_at=as_utc(plan["started_at"]),
            until=plan["until"],
            last_checkin_at=as_utc(last) if last is not None else None,
        )


def next_due(
    rhythm: Rhythm, started_at: datetime, last_checkin_at: datetime | None, until: date, calendar: BusinessCalendar
) -> datetime | None:
    """When the next check-in is due; None once that would be after the plan's last day."""
    due = rhythm.due_after(last_checkin_at or started_at, calendar)
    return due if due <= calendar.end_of_day(until) else None


def check_until(until: date, today: date) -> date:
    if until < today:
        raise InvalidInput("終了日は今日以降の日付にしてください。", field="until")
    if until > today + MAX_LENGTH:
        raise InvalidInput(
            "見守りの期間は1年までです。続けるときは、終了日の前に計画を変更してください。", field="until"
        )
    return until


def check_watcher(kind: str, watcher_id: str | None, known_agency: bool) -> None:
    """A community helper is named by their account id, an agency by its id; the
    coordinator watching is the case's own (no id needed)."""
    if kind in ("helper", "agency") and not watcher_id:
        raise InvalidInput("見守る人(支援者のID・関係機関)を指定してください。", field="watcher_id")
    if kind == "agency" and not known_agency:
        raise InvalidInput(f"関係機関「{watcher_id}」は登録されていません。", field="watcher_id")


def check_start(case: CaseState, active_plan: bool, watcher_kind: str) -> None:
    """``POST /watch``: an open, workable case without an active plan."""
    check_workable(case)
    if active_plan:
        raise Conflict(
            "このケースにはすでに見守り計画があります。変更するか、終えてから始めてください。",
            current_version=case.version,
        )
    _check_coordinator_watches(case, watcher_kind)


def check_change(case: CaseState, plan: PlanState, watcher_kind: str) -> None:
    """``POST /watch/{plan}``: the plan still runs; the new watcher may watch."""
    check_active(case, plan, "変更")
    _check_coordinator_watches(case, watcher_kind)


def _check_coordinator_watches(case: CaseState, watcher_kind: str) -> None:
    """The coordinator watching is the case's own: someone must be assigned."""
    if watcher_kind == "coordinator" and not case.assigned:
        raise Conflict("担当が決まっていないケースです。先に担当を決めてください。", current_version=case.version)


def check_active(case: CaseState, plan: PlanState, doing: str) -> None:
    """Changing, ending or checking in: the plan must still be running."""
    check_workable(case)
    if plan.status != ACTIVE:
        raise Conflict(f"終了した見守り計画は{doing}できません。", current_version=case.version)


def alerts(outcome: CheckInOutcome | str) -> bool:
    return outcome in ALERTING
