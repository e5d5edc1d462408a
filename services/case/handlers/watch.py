"""Watch plans (見守り): starting, changing and ending one, recording check-ins, and
reading them. Each command changes the case (its version guards it) and emits its
event onto the case's timeline and the stream, where notify chases the next check-in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from services.case.adapters.watch import WatchRepository
from services.case.domain import watch as rules
from services.case.domain.moves import CaseState
from services.case.handlers.common import (
    CaseUpdate,
    check_version,
    family_ids,
    load_visible,
    read_snapshot,
    require_reader,
    require_writer,
)
from services.case.handlers.reads import record_read
from shared.clock import JST, as_utc
from shared.db.uow import UnitOfWork
from shared.errors import NotFound
from shared.events import new_event_id
from shared.events.watch import CheckInRecorded, WatchChanged, WatchEnded, WatchStarted
from shared.identity import Identity
from shared.plausible import check_moment
from shared.reference import ReferenceData

# Check-ins the watch read returns (the newest).
LATEST_CHECKINS = 20


@dataclass(frozen=True)
class PlanIn:
    """A plan as asked for (start, or a change: the whole plan as it should be)."""

    watcher_kind: str
    watcher_id: str | None
    every: int
    unit: str
    look_for: str
    until: date


def _iso(moment: datetime | None) -> str | None:
    return as_utc(moment).isoformat() if moment is not None else None


def _checked(plan: PlanIn, reference: ReferenceData, today: date) -> rules.Rhythm:
    rules.check_watcher(plan.watcher_kind, plan.watcher_id, reference.agency(plan.watcher_id or "") is not None)
    rules.check_until(plan.until, today)
    return rules.Rhythm(plan.every, plan.unit).check()


def _watcher_id(plan: PlanIn, case: dict[str, Any]) -> str:
    """The coordinator watching is the case's own; anyone else is named by id."""
    return str(case["coordinator_id"]) if plan.watcher_kind == "coordinator" else str(plan.watcher_id)


async def start(
    uow: UnitOfWork,
    reference: ReferenceData,
    case_id: str,
    plan: PlanIn,
    version: int,
    caller: Identity,
    correlation_id: str,
) -> tuple[str, int]:
    require_writer(caller)
    now = uow.clock.now()
    rhythm = _checked(plan, reference, now.astimezone(JST).date())
    async with uow:
        case = await load_visible(uow, case_id, caller, for_update=True)
        check_version(case, version)
        rules.check_start(CaseState.of(case), case["watch_plan_id"] is not None, plan.watcher_kind)
        plan_id = new_event_id()
        due = rules.next_due(rhythm, now, None, plan.until, reference.followups.calendar(None))
        watcher_id = _watcher_id(plan, case)
        await WatchRepository(uow.db).add_plan(
            {
                "id": plan_id,
                "case_id": case_id,
                "status": rules.ACTIVE,
                "watcher_kind": plan.watcher_kind,
                "watcher_id": watcher_id,
                "every": plan.every,
                "unit": plan.unit,
                "look_for": plan.look_for,
                "until": plan.until,
                "started_at": now,
                "next_due_at": due,
                "created_by": caller.subject,
                "updated_at": now,
            }
        )
        update = CaseUpdate(uow, case, actor=caller.actor, correlation_id=correlation_id)
        update.set(watch_plan_id=plan_id, decision_needed_at=None)  # 見守り with a plan is the decision
        update.emit(_plan_event(WatchStarted, case, plan_id, plan, watcher_id, due))
        new_version = await update.save()
        await uow.commit()
    return plan_id, new_version


async def change(
    uow: UnitOfWork,
    reference: ReferenceData,
    case_id: str,
    plan_id: str,
    plan: PlanIn,
    version: int,
    caller: Identity,
    correlation_id: str,
) -> int:
    """The whole plan as it should now be; the next check-in is recomputed from the
    latest one (or the start) under the new rhythm."""
    require_writer(caller)
    now = uow.clock.now()
    rhythm = _checked(plan, reference, now.astimezone(JST).date())
    async with uow:
        case, row = await _load(uow, case_id, plan_id, version, caller)
        state = rules.PlanState.of(row)
        rules.check_change(CaseState.of(case), state, plan.watcher_kind)
        due = rules.next_due(
            rhythm, state.started_at, state.last_checkin_at, plan.until, reference.followups.calendar(None)
        )
        watcher_id = _watcher_id(plan, case)
        await WatchRepository(uow.db).update_plan(
            plan_id,
            watcher_kind=plan.watcher_kind,
            watcher_id=watcher_id,
            every=plan.every,
            unit=plan.unit,
            look_for=plan.look_for,
            until=plan.until,
            next_due_at=due,
            updated_at=now,
        )
        update = CaseUpdate(uow, case, actor=caller.actor, correlation_id=correlation_id)
        update.touch()
        update.emit(_plan_event(WatchChanged, case, plan_id, plan, watcher_id, due))
        new_version = await update.save()
        await uow.commit()
    return new_version


async def end(uow: UnitOfWork, case_id: str, plan_id: str, version: int, caller: Identity, correlation_id: str) -> int:
    require_writer(caller)
    now = uow.clock.now()
    async with uow:
        case, row = await _load(uow, case_id, plan_id, version, caller)
        rules.check_active(CaseState.of(case), rules.PlanState.of(row), "終了")
        await WatchRepository(uow.db).update_plan(
            plan_id, status=rules.ENDED, ended_at=now, next_due_at=None, updated_at=now
        )
        update = CaseUpdate(uow, case, actor=caller.actor, correlation_id=correlation_id)
        update.set(watch_plan_id=None)
        update.emit(WatchEnded(case_id=case_id, plan_id=plan_id, area=case["area"]))
        new_version = await update.save()
        await uow.commit()
    return new_version


async def check_in(
    uow: UnitOfWork,
    reference: ReferenceData,
    case_id: str,
    plan_id: str,
    checked_at: datetime | None,
    kind: str,
    outcome: str,
    note: str | None,
    version: int,
    caller: Identity,
    correlation_id: str,
) -> tuple[str, int]:
    """A visit or call (見守りの確認). Its time obeys the plausibility rules (not before
    the plan began, not in the future); the next check-in is due a rhythm after the
    latest one."""
    require_writer(caller)
    now = uow.clock.now()
    async with uow:
        case, row = await _load(uow, case_id, plan_id, version, caller)
        state = rules.PlanState.of(row)
        rules.check_active(CaseState.of(case), state, "記録")
        when = now
        if checked_at is not None:
            when = check_moment(
                checked_at, now=now, field="checked_at", floor=state.started_at, floor_label="見守りの開始"
            )
        latest = max(when, state.last_checkin_at) if state.last_checkin_at else when
        rhythm = rules.Rhythm(row["every"], row["unit"])
        due = rules.next_due(rhythm, state.started_at, latest, row["until"], reference.followups.calendar(None))
        checkin_id = new_event_id()
        repo = WatchRepository(uow.db)
        await repo.add_checkin(
            {
                "id": checkin_id,
                "plan_id": plan_id,
                "case_id": case_id,
                "kind": kind,
                "outcome": outcome,
                "note": note,
                "checked_at": when,
                "recorded_by": caller.subject,
                "recorded_at": now,
            }
        )
        await repo.update_plan(plan_id, last_checkin_at=latest, next_due_at=due, updated_at=now)
        update = CaseUpdate(uow, case, actor=caller.actor, correlation_id=correlation_id)
        update.touch()
        update.emit(
            CheckInRecorded(
                case_id=case_id,
                plan_id=plan_id,
                checkin_id=checkin_id,
                area=case["area"],
                kind=kind,
                outcome=outcome,
                checked_at=when.isoformat(),
                note=note,
                next_due_at=_iso(due),
            )
        )
        new_version = await update.save()
        await uow.commit()
    return checkin_id, new_version


async def watch_of(uow: UnitOfWork, case_id: str, caller: Identity) -> dict[str, Any]:
    """The case's plans (the running one first) and the running one's latest check-ins.
    A read of the case: recorded in its read log."""
    require_reader(caller)
    async with uow:
        await read_snapshot(uow)
        case = await load_visible(uow, case_id, caller)
        repo = WatchRepository(uow.db)
        plans = await repo.plans_of(await family_ids(uow, case_id))
        current = next((p for p in plans if p["id"] == case["watch_plan_id"]), None)
        checkins = await repo.checkins_of(current["id"], LATEST_CHECKINS) if current else []
        await record_read(uow, case_id, caller, "watch")
    return {"case": case, "current": current, "plans": plans, "checkins": checkins, "now": uow.clock.now()}


async def _load(
    uow: UnitOfWork, case_id: str, plan_id: str, version: int, caller: Identity
) -> tuple[dict[str, Any], dict[str, Any]]:
    case = await load_visible(uow, case_id, caller, for_update=True)
    check_version(case, version)
    row = await WatchRepository(uow.db).plan(case_id, plan_id, for_update=True)
    if row is None:
        raise NotFound("この見守り計画は見つかりません。")
    return case, row


def _plan_event(
    model: type[WatchStarted],
    case: dict[str, Any],
    plan_id: str,
    plan: PlanIn,
    watcher_id: str,
    due: datetime | None,
) -> WatchStarted:
    return model(
        case_id=case["id"],
        plan_id=plan_id,
        area=case["area"],
        watcher_kind=plan.watcher_kind,
        watcher_id=watcher_id,
        every=plan.every,
        unit=plan.unit,
        until=plan.until.isoformat(),
        look_for=plan.look_for,
        next_due_at=_iso(due),
    )
