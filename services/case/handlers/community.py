"""Unmet needs (サービスがないニーズ) on a case, community issues (地域課題) gathered
from them, and the supervisor's counts. A need's words are the case's personal data:
reading them is a read of the case (logged); the counts carry none."""

from __future__ import annotations

from typing import Any

from services.case.adapters.community import CommunityRepository
from services.case.adapters.repository import CaseRepository
from services.case.domain import community as rules
from services.case.domain.queue import visible_areas
from services.case.handlers.common import (
    CaseUpdate,
    check_version,
    check_workable,
    load_visible,
    read_snapshot,
    record,
    require_reader,
    require_writer,
)
from services.case.handlers.reads import record_read
from shared.db.uow import UnitOfWork
from shared.errors import Forbidden, InvalidInput, NotFound, StaleVersion
from shared.events import Envelope, new_event_id
from shared.events.approvals import CommunityIssueRaised, CommunityIssueStatusChanged, NeedGathered, UnmetNeedRecorded
from shared.identity import Identity
from shared.reference import CITY_WIDE, ReferenceData


async def record_need(
    uow: UnitOfWork,
    reference: ReferenceData,
    case_id: str,
    category: str,
    school_district: str | None,
    missing: str,
    version: int,
    caller: Identity,
    correlation_id: str,
) -> tuple[str, int]:
    """No service exists for this need of the case (category, school district — the
    case's own unless given — and what is missing)."""
    require_writer(caller)
    rules.check_category(category, reference.ids("categories"))
    if school_district is not None and reference.school_district(school_district) is None:
        raise InvalidInput(f"小学校区「{school_district}」は登録されていません。", field="school_district")
    async with uow:
        case = await load_visible(uow, case_id, caller, for_update=True)
        check_version(case, version)
        check_workable(case)
        need_id = new_event_id()
        district = school_district or case["school_district"]
        await CommunityRepository(uow.db).add_need(
            {
                "id": need_id,
                "case_id": case_id,
                "area": case["area"],
                "category": category,
                "school_district": district,
                "missing": missing,
                "issue_id": None,
                "recorded_by": caller.subject,
                "recorded_at": uow.clock.now(),
            }
        )
        update = CaseUpdate(uow, case, actor=caller.actor, correlation_id=correlation_id)
        update.touch()
        update.emit(
            UnmetNeedRecorded(
                need_id=need_id,
                case_id=case_id,
                area=case["area"],
                category=category,
                school_district=district,
                missing=missing,
            )
        )
        new_version = await update.save()
        await uow.commit()
    return need_id, new_version


async def needs_of_case(uow: UnitOfWork, case_id: str, caller: Identity) -> list[dict[str, Any]]:
    require_reader(caller)
    async with uow:
        await read_snapshot(uow)
        await load_visible(uow, case_id, caller)
        rows = await CommunityRepository(uow.db).needs_of_cases([case_id])
        await record_read(uow, case_id, caller, "unmet_needs")
    return rows


async def needs_listed(
    uow: UnitOfWork, caller: Identity, area: str | None, gathered: bool | None, offset: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """The needs of the caller's area (a supervisor: of ``area``, or every area's) —
    e.g. those not yet in an issue, to gather. Their words are read: each case shown
    is a logged read."""
    require_reader(caller)
    if caller.role == "coordinator":
        if caller.scope == CITY_WIDE:
            raise Forbidden("ニーズは圏域のコーディネーターが扱います。")
        area = caller.scope
    async with uow:
        await read_snapshot(uow)
        rows, total = await CommunityRepository(uow.db).needs_listed(
            area=area, gathered=gathered, offset=offset, limit=limit
        )
        for case_id in sorted({r["case_id"] for r in rows}):
            await record_read(uow, case_id, caller, "unmet_needs")
    return rows, total


def _own_area(caller: Identity, area: str) -> None:
    """A coordinator gathers and moves their own area's issues."""
    require_writer(caller)
    if area != caller.scope or area == CITY_WIDE:
        raise Forbidden(f"{area}の地域課題は{area}のコーディネーターが扱います。")


async def raise_issue(uow: UnitOfWork, title: str, need_ids: list[str], caller: Identity, correlation_id: str) -> str:
    """Gather needs of the caller's area's cases into a community issue (提起)."""
    _own_area(caller, caller.scope)
    asked = list(dict.fromkeys(need_ids))
    async with uow:
        repo = CommunityRepository(uow.db)
        needs = await repo.needs(asked)
        rules.check_gathering(caller.scope, needs, asked)
        issue_id = new_event_id()
        now = uow.clock.now()
        await repo.add_issue(
            {
                "id": issue_id,
                "area": caller.scope,
                "title": title,
                "status": rules.RAISED,
                "raised_by": caller.subject,
                "raised_at": now,
                "updated_at": now,
                "version": 1,
            }
        )
        await _gather(uow, issue_id, needs, caller, correlation_id)
        case_ids = sorted({n["case_id"] for n in needs})
        uow.publish(
            Envelope.wrap(
                CommunityIssueRaised(
                    issue_id=issue_id, area=caller.scope, title=title, need_ids=asked, case_ids=case_ids
                ),
                aggregate_id=issue_id,
                actor=caller.actor,
                correlation_id=correlation_id,
                occurred_at=now,
            )
        )
        await uow.commit()
    return issue_id


async def _gather(
    uow: UnitOfWork, issue_id: str, needs: list[dict[str, Any]], caller: Identity, correlation_id: str
) -> None:
    """Each need joins the issue, on its case's timeline."""
    if await CommunityRepository(uow.db).gather([n["id"] for n in needs], issue_id) != len(needs):
        raise StaleVersion("ニーズが同時に別の地域課題にまとめられました。読み直してください。")
    for need in needs:
        envelope = Envelope.wrap(
            NeedGathered(need_id=need["id"], case_id=need["case_id"], issue_id=issue_id, area=need["area"]),
            aggregate_id=need["case_id"],
            actor=caller.actor,
            correlation_id=correlation_id,
            case_id=need["case_id"],
            occurred_at=uow.clock.now(),
        )
        await record(uow, envelope, need["case_id"])


async def add_needs(
    uow: UnitOfWork, issue_id: str, need_ids: list[str], version: int, caller: Identity, correlation_id: str
) -> int:
    asked = list(dict.fromkeys(need_ids))
    async with uow:
        repo = CommunityRepository(uow.db)
        issue = await _issue(uow, issue_id, caller, version)
        _own_area(caller, issue["area"])
        needs = await repo.needs(asked)
        rules.check_adding(issue["status"], issue["area"], needs, asked)
        await _gather(uow, issue_id, needs, caller, correlation_id)
        await _save(repo, issue, updated_at=uow.clock.now())
        await uow.commit()
    return int(issue["version"]) + 1


async def change_status(
    uow: UnitOfWork, issue_id: str, target: str, version: int, caller: Identity, correlation_id: str
) -> int:
    async with uow:
        repo = CommunityRepository(uow.db)
        issue = await _issue(uow, issue_id, caller, version)
        _own_area(caller, issue["area"])
        new = rules.move(issue["status"], target)
        now = uow.clock.now()
        await _save(repo, issue, status=new, updated_at=now)
        uow.publish(
            Envelope.wrap(
                CommunityIssueStatusChanged(
                    issue_id=issue_id, area=issue["area"], from_status=issue["status"], to_status=new
                ),
                aggregate_id=issue_id,
                actor=caller.actor,
                correlation_id=correlation_id,
                occurred_at=now,
            )
        )
        await uow.commit()
    return int(issue["version"]) + 1


async def _save(repo: CommunityRepository, issue: dict[str, Any], **values: Any) -> None:
    if not await repo.save_issue(issue, **values):
        raise StaleVersion("この地域課題は同時に更新されました。読み直してから操作してください。")


async def _issue(uow: UnitOfWork, issue_id: str, caller: Identity, version: int | None = None) -> dict[str, Any]:
    """The issue, if the caller may see it (a coordinator: their area's; a supervisor: any)."""
    require_reader(caller)
    issue = await CommunityRepository(uow.db).issue(issue_id, for_update=version is not None)
    areas = visible_areas(caller.role, caller.scope)
    if issue is None or (areas is not None and issue["area"] not in areas):
        raise NotFound("この地域課題は見つかりません。")
    if version is not None and version != issue["version"]:
        raise StaleVersion(
            f"この地域課題は更新されています(あなたが見た版: {version}、現在の版: {issue['version']})。",
            current_version=issue["version"],
        )
    return issue


async def issue_of(uow: UnitOfWork, issue_id: str, caller: Identity) -> dict[str, Any]:
    """The issue with its needs (their words) and the cases they came from: a read of
    each of those cases, logged."""
    async with uow:
        await read_snapshot(uow)
        issue = await _issue(uow, issue_id, caller)
        needs = await CommunityRepository(uow.db).needs_of_issue(issue_id)
        numbers = await CaseRepository(uow.db).numbers_and_areas(sorted({n["case_id"] for n in needs}))
        for case_id in numbers:
            await record_read(uow, case_id, caller, "community")
    return {**issue, "needs": needs, "case_numbers": {k: v[0] for k, v in numbers.items()}}


async def issues(
    uow: UnitOfWork, caller: Identity, area: str | None, status: str | None, offset: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    require_reader(caller)
    if status is not None:
        rules.check_status(status)
    areas = visible_areas(caller.role, caller.scope)
    if areas is not None:
        area = caller.scope
    async with uow:
        return await CommunityRepository(uow.db).issues(area=area, status=status, offset=offset, limit=limit)


async def need_counts(uow: UnitOfWork, caller: Identity, area: str | None) -> list[dict[str, Any]]:
    """Counts only (no one's words): by area, school district and category."""
    if caller.role != "supervisor":
        raise Forbidden("ニーズの集計は監督者が閲覧します。")
    async with uow:
        return await CommunityRepository(uow.db).need_counts(area)
