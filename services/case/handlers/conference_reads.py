"""Reading case conferences: the list of those the caller may read, and one meeting's
minutes. Minutes are for the participants, the cases' coordinators and supervisors;
every read of them is recorded in the read log of each case discussed. An agency
at the table sees, of each case, only the fields disclosed to the meeting."""

from __future__ import annotations

from typing import Any

from services.case.adapters.conferences import ConferenceRepository
from services.case.adapters.member_needs import MemberNeedsRepository
from services.case.adapters.reads import ReadLog
from services.case.adapters.repository import CaseRepository
from services.case.domain import conferences as rules
from services.case.domain.member_needs import facts_of_member
from services.case.domain.queue import may_see
from services.case.domain.referrals import shared_values
from services.case.handlers.common import family_ids, read_snapshot
from services.case.handlers.conferences import load
from services.case.handlers.referrals import case_facts
from shared.db.uow import UnitOfWork
from shared.errors import Forbidden, NotFound
from shared.http.paging import Window
from shared.identity import Identity

READ_WHAT = "conference"


def _may_list(caller: Identity) -> None:
    if caller.role not in ("coordinator", "supervisor", "agency"):
        raise Forbidden(
            f"会議の記録は参加者・担当コーディネーター・監督者のみ閲覧できます(あなたのロール: {caller.role})。"
        )


async def conferences_of(uow: UnitOfWork, caller: Identity, window: Window) -> tuple[list[dict[str, Any]], int]:
    """The meetings the caller takes part in (or coordinates a case of); all, for a supervisor."""
    _may_list(caller)
    async with uow:
        return await ConferenceRepository(uow.db).page(
            caller.role, caller.scope, caller.subject, window.offset, window.limit
        )


async def minutes(uow: UnitOfWork, conference_id: str, caller: Identity) -> dict[str, Any]:
    """The meeting, its cases with their decisions and disclosures, and its tasks. To anyone
    not in its audience it does not exist (404). Recorded as a read of every case in it."""
    _may_list(caller)
    async with uow:
        await read_snapshot(uow)
        meeting = await load(uow, conference_id)
        if not rules.may_read(caller.role, caller.scope, caller.subject, meeting.audience):
            raise NotFound("この会議は見つかりません(または閲覧権限がありません)。")
        repo = ConferenceRepository(uow.db)
        disclosures = await repo.disclosures(conference_id)
        tasks = await repo.tasks(conference_id)
        cases = [dict(c) for c in meeting.cases]
        if caller.role == "agency":
            await _only_disclosed(uow, cases, disclosures)
        writer = rules.may_write(caller.role, caller.subject, meeting.audience)
        if writer:
            await _members_to_choose(uow, caller, cases)
        now = uow.clock.now()
        await ReadLog(uow.db).record_many(
            [
                dict(
                    case_id=c["case_id"], reader_role=caller.role, reader_id=caller.subject, what=READ_WHAT, read_at=now
                )
                for c in cases
            ]
        )
        await uow.commit()
    return {
        "meeting": meeting,
        "cases": cases,
        "disclosures": disclosures,
        "tasks": tasks,
        "may_write": writer,
    }


async def _members_to_choose(uow: UnitOfWork, caller: Identity, cases: list[dict[str, Any]]) -> None:
    """For a coordinator who records the meeting, the household members a share may be
    about (id, relation, age group: what the household field shares), of each case they
    may see themselves; none of a case outside their area."""
    repo = CaseRepository(uow.db)
    for case in cases:
        if may_see(caller.role, caller.scope, case["area"]):
            members = await repo.members_of(await family_ids(uow, case["case_id"]))
            case["members"] = [{k: m[k] for k in ("id", "relation", "age_group")} for m in members]


async def _only_disclosed(uow: UnitOfWork, cases: list[dict[str, Any]], disclosures: list[dict[str, Any]]) -> None:
    """An agency reads of each case the values of the fields disclosed to the meeting,
    nothing more: the case's person's, and each member's a share was about (that member's
    own values, as a referral for one member carries them)."""
    repo = CaseRepository(uow.db)
    for case in cases:
        about = [d for d in disclosures if d["case_id"] == case["case_id"]]
        full = await repo.get(case["case_id"])
        case["shared"], case["members_shared"] = {}, []
        if full is not None and about:
            family = await family_ids(uow, case["case_id"])
            facts = await case_facts(uow, full, family)
            case["shared"] = shared_values(facts, _fields(about, None))
            for member_id in dict.fromkeys(d["member_id"] for d in about if d["member_id"]):
                member = await MemberNeedsRepository(uow.db).member(member_id, family)
                if member is None:  # no longer of this case (a merge undone)
                    continue
                case["members_shared"].append(
                    {
                        "member_id": member_id,
                        "relation": member["relation"],
                        "shared": shared_values(facts_of_member(facts, member), _fields(about, member_id)),
                    }
                )
        for key in ("consent", "legal_ground", "coordinator_id"):
            case.pop(key, None)


def _fields(disclosures: list[dict[str, Any]], member_id: str | None) -> list[str]:
    return list(dict.fromkeys(d["field"] for d in disclosures if d["member_id"] == member_id))
