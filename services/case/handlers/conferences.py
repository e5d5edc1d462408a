"""Case conferences: planning one, holding it, recording its minutes (its tasks:
conference_tasks.py; sharing the cases' information with the participants:
conference_shares.py).
Each command guards the meeting's version and puts one event per case discussed onto
that case's timeline and the stream (notify chases open tasks). The cases' own versions
do not change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from services.case.adapters.chain import case_changed
from services.case.adapters.conferences import ConferenceRepository
from services.case.domain import conferences as rules
from services.case.handlers.common import load_visible, record, require_writer
from shared.access import AccessRegistry
from shared.clock import JST
from shared.db.uow import UnitOfWork
from shared.errors import InvalidInput, NotFound, StaleVersion
from shared.events import Envelope, EventPayload, new_event_id
from shared.events.conference import (
    ConferenceCancelled,
    ConferenceDecided,
    ConferenceHeld,
    ConferencePlanned,
)
from shared.identity import Identity
from shared.reference import ReferenceData


@dataclass(frozen=True)
class PlanIn:
    kind: str
    title: str
    held_on: date
    case_ids: list[str]
    accounts: list[str]
    agencies: list[str]


@dataclass(frozen=True)
class Meeting:
    """A loaded meeting and everything the rules look at."""

    row: dict[str, Any]
    accounts: list[str]
    agencies: list[str]
    cases: list[dict[str, Any]]

    @property
    def audience(self) -> rules.Audience:
        return rules.Audience(
            accounts=frozenset(self.accounts),
            agencies=frozenset(self.agencies),
            coordinators=frozenset(c["coordinator_id"] for c in self.cases if c["coordinator_id"]),
        )


def today_of(uow: UnitOfWork) -> date:
    return uow.clock.now().astimezone(JST).date()


async def load(uow: UnitOfWork, conference_id: str, *, for_update: bool = False) -> Meeting:
    repo = ConferenceRepository(uow.db)
    row = await repo.get(conference_id, for_update=for_update)
    if row is None:
        raise NotFound("この会議は見つかりません(または閲覧権限がありません)。")
    accounts, agencies = await repo.participants(conference_id)
    return Meeting(row, accounts, agencies, await repo.discussed(conference_id))


async def writable(uow: UnitOfWork, conference_id: str, version: int, caller: Identity) -> Meeting:
    require_writer(caller)
    meeting = await load(uow, conference_id, for_update=True)
    if not rules.may_write(caller.role, caller.subject, meeting.audience):
        raise NotFound("この会議は見つかりません(または閲覧権限がありません)。")
    check_version(meeting.row, version)
    return meeting


def check_version(row: dict[str, Any], version: int) -> None:
    if version != row["version"]:
        raise StaleVersion(
            f"この会議は更新されています(あなたが見た版: {version}、現在の版: {row['version']})。"
            "最新の内容を読み直してから操作してください。",
            current_version=row["version"],
        )


async def emit(
    uow: UnitOfWork, meeting: Meeting, case: dict[str, Any], payload: EventPayload, caller: Identity, cid: str
) -> None:
    """Onto the case's timeline and the stream; the case is the aggregate, so retention
    erases the meeting's words about it with the case (and only those)."""
    envelope = Envelope.wrap(
        payload,
        aggregate_id=case["case_id"],
        actor=caller.actor,
        correlation_id=cid,
        case_id=case["case_id"],
        occurred_at=uow.clock.now(),
    )
    await record(uow, envelope, case["case_id"])
    case_changed(uow, case["case_id"])


def common_of(meeting: Meeting, case: dict[str, Any]) -> dict[str, Any]:
    return {
        "conference_id": meeting.row["id"],
        "case_id": case["case_id"],
        "area": case["area"],
        "kind": meeting.row["kind"],
    }


async def plan(
    uow: UnitOfWork, reference: ReferenceData, access: AccessRegistry, given: PlanIn, caller: Identity, cid: str
) -> tuple[str, int]:
    """A coordinator plans a meeting about cases they can see; they take part in it. The
    other accounts at the table are accounts this service knows (``access``: the accounts
    learnt from the console's ``account.*`` events, as tokens are checked)."""
    require_writer(caller)
    rules.check_kind(given.kind)
    rules.check_planned_on(given.held_on, today_of(uow))
    case_ids = list(dict.fromkeys(given.case_ids))
    accounts = list(dict.fromkeys([caller.subject, *given.accounts]))
    agencies = list(dict.fromkeys(given.agencies))
    rules.check_members(case_ids, accounts, agencies)
    rules.check_accounts(accounts, access.knows, access.is_disabled, caller=caller.subject)
    for agency_id in agencies:
        if reference.agency(agency_id) is None:
            raise InvalidInput(f"関係機関「{agency_id}」は登録されていません。", field="agencies")
    conference_id = new_event_id()
    now = uow.clock.now()
    async with uow:
        for case_id in case_ids:
            await load_visible(uow, case_id, caller)
        repo = ConferenceRepository(uow.db)
        row = {
            "id": conference_id,
            "kind": given.kind,
            "title": given.title,
            "held_on": given.held_on,
            "status": rules.PLANNED,
            "version": 1,
            "created_by": caller.subject,
            "created_at": now,
            "updated_at": now,
        }
        await repo.add(row, accounts, agencies, case_ids)
        meeting = Meeting(row, accounts, agencies, await repo.discussed(conference_id))
        for case in meeting.cases:
            event = ConferencePlanned(
                **common_of(meeting, case), held_on=given.held_on.isoformat(), accounts=accounts, agencies=agencies
            )
            await emit(uow, meeting, case, event, caller, cid)
        await uow.commit()
    return conference_id, 1


async def hold(
    uow: UnitOfWork, conference_id: str, held_on: date | None, version: int, caller: Identity, cid: str
) -> int:
    """The meeting took place (on ``held_on``, else the planned day), not on a day to come."""
    async with uow:
        meeting = await writable(uow, conference_id, version, caller)
        day = rules.check_held_on(held_on or meeting.row["held_on"], today_of(uow))
        status = rules.move(meeting.row["status"], rules.HELD)
        new_version = await ConferenceRepository(uow.db).save(
            meeting.row, {"status": status, "held_on": day, "updated_at": uow.clock.now()}
        )
        for case in meeting.cases:
            await emit(
                uow, meeting, case, ConferenceHeld(**common_of(meeting, case), held_on=day.isoformat()), caller, cid
            )
        await uow.commit()
    return new_version


async def cancel(uow: UnitOfWork, conference_id: str, version: int, caller: Identity, cid: str) -> int:
    async with uow:
        meeting = await writable(uow, conference_id, version, caller)
        status = rules.move(meeting.row["status"], rules.CANCELLED)
        new_version = await ConferenceRepository(uow.db).save(
            meeting.row, {"status": status, "updated_at": uow.clock.now()}
        )
        for case in meeting.cases:
            await emit(uow, meeting, case, ConferenceCancelled(**common_of(meeting, case)), caller, cid)
        await uow.commit()
    return new_version


async def record_minutes(
    uow: UnitOfWork, conference_id: str, decisions: dict[str, str], version: int, caller: Identity, cid: str
) -> int:
    """What was decided, per case discussed (a case left out keeps what it had)."""
    if not decisions:
        raise InvalidInput("決まったことを1件以上書いてください。", field="decisions")
    async with uow:
        meeting = await writable(uow, conference_id, version, caller)
        status = rules.move(meeting.row["status"], rules.MINUTES_RECORDED)
        by_id = {c["case_id"]: c for c in meeting.cases}
        repo = ConferenceRepository(uow.db)
        now = uow.clock.now()
        for case_id, decision in decisions.items():
            rules.check_discussed(case_id, by_id, "decisions")
            await repo.decide(conference_id, case_id, decision=decision, decided_by=caller.subject, decided_at=now)
            event = ConferenceDecided(**common_of(meeting, by_id[case_id]), decision=decision)
            await emit(uow, meeting, by_id[case_id], event, caller, cid)
        new_version = await repo.save(meeting.row, {"status": status, "updated_at": now})
        await uow.commit()
    return new_version
