"""Sharing a discussed case's information with a meeting's participants, field by field
under the ground it is disclosed on: a 支援会議's duty of confidentiality (社会福祉法第106条
の6), otherwise the consent or legal ground of the person it is about — the case's, or one
household member's own (the member a referral for one member uses: handlers/member_needs)."""

from __future__ import annotations

from services.case.adapters.conferences import ConferenceRepository
from services.case.domain import conferences as rules
from services.case.domain.member_needs import member_consent
from services.case.handlers.common import family_ids
from services.case.handlers.conferences import common_of, emit, writable
from services.case.handlers.member_needs import member_of
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, InvalidInput
from shared.events.conference import ConferenceShared
from shared.identity import Identity


async def share(
    uow: UnitOfWork,
    conference_id: str,
    case_id: str,
    fields: list[str],
    version: int,
    caller: Identity,
    cid: str,
    member_id: str | None = None,
) -> int:
    """The case's chosen fields are disclosed to every participant: recorded field by field
    with the ground (a 支援会議's confidentiality; otherwise the case's consent or legal ground).
    A share about one household member (``member_id``) is checked and recorded under that
    member's own consent where it differs from the case's, as a referral for one member is."""
    async with uow:
        meeting = await writable(uow, conference_id, version, caller)
        if meeting.row["status"] == rules.CANCELLED:
            raise Conflict("中止した会議では共有できません。", current_version=meeting.row["version"])
        by_id = {c["case_id"]: c for c in meeting.cases}
        rules.check_discussed(case_id, by_id, "case_id")
        case = by_id[case_id]
        member = await member_of(uow, member_id, await family_ids(uow, case_id))
        consent = member_consent(member, case["consent"]) if member else case["consent"]
        chosen = rules.check_meeting_share(meeting.row["kind"], fields, consent, case["legal_ground"])
        if not chosen:
            raise InvalidInput("共有する項目を1つ以上選んでください。", field="fields")
        ground = rules.share_ground(meeting.row["kind"], consent, case["legal_ground"])
        now = uow.clock.now()
        recipients = {"accounts": meeting.accounts, "agencies": meeting.agencies}
        repo = ConferenceRepository(uow.db)
        await repo.disclose(
            [
                {
                    "conference_id": conference_id,
                    "case_id": case_id,
                    "member_id": member_id,
                    "field": f,
                    "recipients": recipients,
                    "consent": consent,
                    "legal_ground": ground,
                    "shared_by": caller.subject,
                    "shared_at": now,
                }
                for f in chosen
            ]
        )
        event = ConferenceShared(
            **common_of(meeting, case),
            fields=chosen,
            legal_ground=ground,
            consent=consent,
            member_id=member_id,
            **recipients,
        )
        await emit(uow, meeting, case, event, caller, cid)
        new_version = await repo.save(meeting.row, {"updated_at": now})
        await uow.commit()
    return new_version
