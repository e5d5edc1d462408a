"""What a coordinator writes down: contact records, notes, household members. The text
stays in the case service; the events say only that something was recorded."""

from __future__ import annotations

from datetime import datetime

from services.case.adapters.records import RecordRepository
from services.case.adapters.repository import CaseRepository
from services.case.domain.matching import MatchKeys
from services.case.handlers.common import CaseUpdate, check_version, check_workable, load_visible, require_writer
from shared.clock import as_utc
from shared.db.uow import UnitOfWork
from shared.events import new_event_id
from shared.events.case import ContactRecorded, HouseholdMemberAdded, NoteAdded
from shared.identity import Identity
from shared.plausible import check_age_group, check_moment
from shared.reference import ReferenceData


async def record_contact(
    uow: UnitOfWork,
    case_id: str,
    contacted_at: datetime | None,
    channel: str,
    whom: str,
    outcome: str,
    version: int,
    caller: Identity,
    correlation_id: str,
) -> tuple[str, int]:
    """A contact (接触): when, how, with whom, what came of it. The earliest contact is
    the case's first contact (PDCA: time to first contact)."""
    require_writer(caller)
    now = uow.clock.now()
    async with uow:
        case = await load_visible(uow, case_id, caller, for_update=True)
        check_version(case, version)
        check_workable(case)
        when = now
        if contacted_at is not None:
            when = check_moment(
                contacted_at,
                now=now,
                field="contacted_at",
                floor=case["received_at"] or case["opened_at"],
                floor_label="ケースの受付",
            )
        contact_id = new_event_id()
        await RecordRepository(uow.db).add_contact(
            {
                "id": contact_id,
                "case_id": case_id,
                "contacted_at": when,
                "channel": channel,
                "whom": whom,
                "outcome": outcome,
                "recorded_by": caller.subject,
                "recorded_at": now,
            }
        )
        update = CaseUpdate(uow, case, actor=caller.actor, correlation_id=correlation_id)
        first = case["first_contact_at"]
        if first is None or when < as_utc(first):
            update.set(first_contact_at=when)
        update.emit(
            ContactRecorded(case_id=case_id, contact_id=contact_id, channel=channel, contacted_at=when.isoformat())
        )
        new_version = await update.save()
        await uow.commit()
    return contact_id, new_version


async def add_note(
    uow: UnitOfWork, case_id: str, body: str, version: int, caller: Identity, correlation_id: str
) -> tuple[str, int]:
    require_writer(caller)
    async with uow:
        case = await load_visible(uow, case_id, caller, for_update=True)
        check_version(case, version)
        check_workable(case, allow_closed=True)
        note_id = new_event_id()
        await RecordRepository(uow.db).add_note(
            {
                "id": note_id,
                "case_id": case_id,
                "body": body,
                "author_id": caller.subject,
                "created_at": uow.clock.now(),
            }
        )
        update = CaseUpdate(uow, case, actor=caller.actor, correlation_id=correlation_id)
        update.emit(NoteAdded(case_id=case_id, note_id=note_id))
        new_version = await update.save()
        await uow.commit()
    return note_id, new_version


async def add_household_member(
    uow: UnitOfWork,
    keys: MatchKeys,
    reference: ReferenceData,
    case_id: str,
    relation: str,
    age_group: str | None,
    name: str | None,
    note: str | None,
    version: int,
    caller: Identity,
    correlation_id: str,
) -> tuple[str, int]:
    """A member the coordinator learnt of; a name is also kept as its search key."""
    require_writer(caller)
    check_age_group(age_group, reference, "age_group")
    async with uow:
        case = await load_visible(uow, case_id, caller, for_update=True)
        check_version(case, version)
        check_workable(case)
        member_id = new_event_id()
        await CaseRepository(uow.db).add_member(
            {
                "id": member_id,
                "case_id": case_id,
                "relation": relation,
                "age_group": age_group,
                "name": name,
                "note": note,
                "source": "coordinator",
                "added_at": uow.clock.now(),
                "name_key": keys.name(name),
            }
        )
        update = CaseUpdate(uow, case, actor=caller.actor, correlation_id=correlation_id)
        update.emit(HouseholdMemberAdded(case_id=case_id, member_id=member_id, relation=relation))
        new_version = await update.save()
        await uow.commit()
    return member_id, new_version
