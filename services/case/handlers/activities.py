"""Activities (活動): logging one on a case (its timeline and the stream) or for an area
(the stream only: there is no case yet), and listing them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.case.adapters.activities import ActivityRepository
from services.case.domain import activities as rules
from services.case.domain.helper_tasks import check_recordable
from services.case.domain.moves import CaseState
from services.case.domain.queue import visible_areas
from services.case.handlers.common import (
    CaseUpdate,
    check_version,
    family_ids,
    load_visible,
    read_snapshot,
    require_reader,
    require_writer,
)
from services.case.handlers.helper_tasks import helpers_task
from services.case.handlers.reads import record_read
from shared.db.uow import UnitOfWork
from shared.errors import Forbidden
from shared.events import Envelope, new_event_id
from shared.events.watch import ActivityRecorded
from shared.identity import Identity
from shared.plausible import check_moment
from shared.reference import ReferenceData


@dataclass(frozen=True)
class ActivityIn:
    """An activity as logged."""

    kind: str
    outcome_kind: str
    happened_at: datetime | None
    school_district: str | None
    participants: rules.Participants
    note: str | None


def _districts(reference: ReferenceData) -> dict[str, str]:
    return {d.id: d.area for d in reference.school_districts}


def _checked(activity: ActivityIn, reference: ReferenceData) -> None:
    rules.check_kind(activity.kind)
    rules.check_outcome(activity.outcome_kind)
    activity.participants.check(reference.ids("agencies"))


def _row(activity_id: str, activity: ActivityIn, **values: Any) -> dict[str, Any]:
    return {
        "id": activity_id,
        "kind": activity.kind,
        "outcome_kind": activity.outcome_kind,
        "note": activity.note,
        "account_ids": list(activity.participants.account_ids),
        "agency_ids": list(activity.participants.agency_ids),
        "residents": activity.participants.residents,
        **values,
    }


def _event(row: dict[str, Any]) -> ActivityRecorded:
    return ActivityRecorded(
        activity_id=row["id"],
        case_id=row["case_id"],
        area=row["area"],
        school_district=row["school_district"],
        kind=row["kind"],
        outcome_kind=row["outcome_kind"],
        happened_at=row["happened_at"].isoformat(),
        account_ids=row["account_ids"],
        agency_ids=row["agency_ids"],
        residents=row["residents"],
        note=row["note"],
    )


async def record_on_case(
    uow: UnitOfWork,
    reference: ReferenceData,
    case_id: str,
    activity: ActivityIn,
    version: int,
    caller: Identity,
    correlation_id: str,
) -> tuple[str, int]:
    """On a case: its time not before the case was raised; its place the given school
    district or the case's own; counted in the case's area."""
    require_writer(caller)
    _checked(activity, reference)
    districts = _districts(reference)
    rules.district_area(activity.school_district, districts, required=False)
    now = uow.clock.now()
    async with uow:
        case = await load_visible(uow, case_id, caller, for_update=True)
        check_version(case, version)
        rules.check_on_case(CaseState.of(case))
        when = now
        if activity.happened_at is not None:
            when = check_moment(
                activity.happened_at, now=now, field="happened_at", floor=case["opened_at"], floor_label="ケースの受付"
            )
        activity_id, new_version = await _record_on(uow, case, activity, when, districts, caller, correlation_id)
        await uow.commit()
    return activity_id, new_version


async def record_on_task(
    uow: UnitOfWork, reference: ReferenceData, task_id: str, activity: ActivityIn, caller: Identity, correlation_id: str
) -> str:
    """A community helper's activity (a 同行, a visit …) on a task they took on: on the
    task's case, in its timeline and the figures like a coordinator's; its time not
    before the task was given."""
    _checked(activity, reference)
    districts = _districts(reference)
    rules.district_area(activity.school_district, districts, required=False)
    now = uow.clock.now()
    async with uow:
        case, task = await helpers_task(uow, task_id, caller)
        check_recordable(task["status"])
        rules.check_on_case(CaseState.of(case))
        when = now
        if activity.happened_at is not None:
            when = check_moment(
                activity.happened_at,
                now=now,
                field="happened_at",
                floor=task["assigned_at"],
                floor_label="依頼を受けた日時",
            )
        activity_id, _ = await _record_on(uow, case, activity, when, districts, caller, correlation_id)
        await uow.commit()
    return activity_id


async def _record_on(
    uow: UnitOfWork,
    case: dict[str, Any],
    activity: ActivityIn,
    when: datetime,
    districts: dict[str, str],
    caller: Identity,
    correlation_id: str,
) -> tuple[str, int]:
    """The activity's row and event on the case (its place the given school district or
    the case's own; counted in the case's area)."""
    district = activity.school_district or (case["school_district"] if case["school_district"] in districts else None)
    now = uow.clock.now()
    row = _row(
        new_event_id(),
        activity,
        case_id=case["id"],
        area=case["area"],
        school_district=district,
        happened_at=when,
        recorded_by=caller.subject,
        recorded_at=now,
    )
    await ActivityRepository(uow.db).add(row)
    update = CaseUpdate(uow, case, actor=caller.actor, correlation_id=correlation_id)
    update.touch()
    update.emit(_event(row), row["id"])
    return row["id"], await update.save()


async def record_for_area(
    uow: UnitOfWork, reference: ReferenceData, activity: ActivityIn, caller: Identity, correlation_id: str
) -> tuple[str, str]:
    """For an area, with no case (yet): an outreach that found no one still counts. The
    school district says where, and so which area; a coordinator logs their own area's."""
    require_writer(caller)
    _checked(activity, reference)
    rules.check_for_area(activity.kind)
    area = rules.district_area(activity.school_district, _districts(reference), required=True)
    assert area is not None  # required: refused above otherwise
    rules.check_recorder_area(caller.role, caller.scope, area)
    now = uow.clock.now()
    when = now if activity.happened_at is None else check_moment(activity.happened_at, now=now, field="happened_at")
    row = _row(
        new_event_id(),
        activity,
        case_id=None,
        area=area,
        school_district=activity.school_district,
        happened_at=when,
        recorded_by=caller.subject,
        recorded_at=now,
    )
    async with uow:
        await ActivityRepository(uow.db).add(row)
        uow.publish(
            Envelope.wrap(
                _event(row), aggregate_id=row["id"], actor=caller.actor, correlation_id=correlation_id, occurred_at=now
            )
        )
        await uow.commit()
    return str(row["id"]), area


async def of_case(uow: UnitOfWork, case_id: str, caller: Identity, *, offset: int, limit: int) -> dict[str, Any]:
    """The activities of a case (and of the cases merged into it). A read of the case:
    recorded in its read log."""
    require_reader(caller)
    async with uow:
        await read_snapshot(uow)
        case = await load_visible(uow, case_id, caller)
        items, total = await ActivityRepository(uow.db).of_cases(
            await family_ids(uow, case_id), offset=offset, limit=limit
        )
        await record_read(uow, case_id, caller, "activities")
    return {"case": case, "items": items, "total": total}


async def of_areas(
    uow: UnitOfWork,
    caller: Identity,
    area: str | None,
    *,
    without_case: bool,
    kind: str | None,
    offset: int,
    limit: int,
) -> tuple[list[dict[str, Any]], int]:
    """The activities of the caller's areas (a supervisor: any), newest first. Notes of
    activities on a case are left out here: they are read on the case, where reads are logged."""
    require_reader(caller)
    if kind is not None:
        rules.check_kind(kind)
    areas = visible_areas(caller.role, caller.scope)
    if area is not None:
        if areas is not None and area not in areas:
            raise Forbidden(f"圏域「{area}」の活動は見られません(あなたの圏域: {caller.scope})。")
        areas = frozenset({area})
    async with uow:
        items, total = await ActivityRepository(uow.db).of_areas(
            areas, without_case=without_case, kind=kind, offset=offset, limit=limit
        )
    for item in items:
        if item["case_id"] is not None:
            item["note"] = None
    return items, total
