"""Reading helpers' tasks: the case's tasks for its coordinators and supervisors, a
helper's own tasks and — for one task — only the fields it shares, as the consent gate
allows them now; and the registry of helpers by area. Reads of personal data are logged."""

from __future__ import annotations

from typing import Any

from services.case.adapters.helper_tasks import HelperRegistry, HelperTaskRepository
from services.case.adapters.repository import CaseRepository
from services.case.domain import helper_tasks as rules
from services.case.domain.referrals import shared_values
from services.case.handlers.common import family_ids, load_visible, read_snapshot, require_reader
from services.case.handlers.reads import record_read
from services.case.handlers.referrals import case_facts
from shared.db.uow import UnitOfWork
from shared.errors import Forbidden, InvalidInput, NotFound
from shared.identity import Identity
from shared.reference import ReferenceData

LATEST_CHECKINS = 20
MY_TASKS = 200  # a helper holds a handful; the desk lists the latest


async def tasks_of_case(uow: UnitOfWork, case_id: str, caller: Identity) -> dict[str, Any]:
    """The case's tasks, the latest first, with their latest check-ins (a read of the case)."""
    require_reader(caller)
    async with uow:
        await read_snapshot(uow)
        case = await load_visible(uow, case_id, caller)
        repo = HelperTaskRepository(uow.db)
        tasks = await repo.of_cases(await family_ids(uow, case_id))
        checkins = await repo.checkins_of([t["id"] for t in tasks], LATEST_CHECKINS) if tasks else {}
        await record_read(uow, case_id, caller, "helper_tasks")
    return {"case": case, "tasks": tasks, "checkins": checkins}


def _require_helper(caller: Identity) -> None:
    if caller.role != "helper":
        raise Forbidden(f"依頼の一覧は地域の支援者のみ閲覧できます(あなたのロール: {caller.role})。")


async def my_tasks(uow: UnitOfWork, caller: Identity, *, open_only: bool) -> list[dict[str, Any]]:
    """The caller's tasks: what, until when and where it stands — nothing of the person
    (the task's own read shows what it shares, and is logged)."""
    _require_helper(caller)
    async with uow:
        return await HelperTaskRepository(uow.db).of_helper(caller.subject, rules.OPEN if open_only else None, MY_TASKS)


async def my_task(uow: UnitOfWork, task_id: str, caller: Identity) -> dict[str, Any]:
    """One of the caller's tasks with the values of the fields it shares — those the
    consent gate allows at this read — and its check-ins. Logged in the case's read log."""
    _require_helper(caller)
    async with uow:
        await read_snapshot(uow)
        repo = HelperTaskRepository(uow.db)
        task = await repo.get(task_id)
        if task is None or task["helper_id"] != caller.subject:
            raise NotFound("この依頼は見つかりません。")
        case = await CaseRepository(uow.db).get(task["case_id"])
        if case is None:
            raise NotFound("この依頼は見つかりません。")
        fields = rules.visible_fields(task["shared_fields"], case["consent"], case["legal_ground"])
        facts = await case_facts(uow, case, await family_ids(uow, case["id"]))
        checkins = (await repo.checkins_of([task_id], LATEST_CHECKINS))[task_id]
        await record_read(uow, task["case_id"], caller, "helper_task")
    return {"task": task, "shared": shared_values(facts, fields), "checkins": checkins, "case_open": case}


def _areas_for(caller: Identity, area: str | None, reference: ReferenceData) -> frozenset[str] | None:
    """A coordinator reads their own area's helpers; a supervisor any area (None: all)."""
    require_reader(caller)
    if area is not None and area not in reference.ids("areas"):
        raise InvalidInput(f"圏域「{area}」はありません。", field="area")
    if caller.role == "coordinator":
        if area not in (None, caller.scope):
            raise Forbidden("ほかの圏域の支援者は閲覧できません。")
        return frozenset({caller.scope})
    return frozenset({area}) if area else None


async def registry(
    uow: UnitOfWork, reference: ReferenceData, caller: Identity, area: str | None
) -> tuple[list[Any], dict[str, int]]:
    """The registered helpers of the caller's area(s), and how many open tasks each holds."""
    areas = _areas_for(caller, area, reference)
    async with uow:
        helpers = [h for h in await HelperRegistry(uow.db).helpers() if areas is None or h.area in areas]
        load = await HelperTaskRepository(uow.db).open_counts([h.account_id for h in helpers], rules.OPEN)
    return helpers, load


async def counts(uow: UnitOfWork, reference: ReferenceData, caller: Identity) -> dict[str, dict[str, int]]:
    """Registered (enabled) helpers by area and kind: every area of the reference data,
    zero where none is registered (登録者数, as the plan reports it)."""
    areas = _areas_for(caller, None, reference)
    async with uow:
        helpers = await HelperRegistry(uow.db).helpers()
    return rules.registered_by_area(helpers, [a.id for a in reference.areas if areas is None or a.id in areas])
