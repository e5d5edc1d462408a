"""The case events that matter to referrals (applied inside the consumer's open
transaction; the consumer commits):

- ``case.moved``: the case now belongs to another daily-life area, so its referrals
  follow — that area's coordinator sees and may cancel them;
- ``case.consent_recorded``: consent withdrawn with no legal ground recorded — every
  personal field is removed from what the agencies see, at once;
- ``case.retention_erased``: the case is past the retention period — its referrals
  keep no personal field, purpose, reason or note.

Each fact is kept per case with the id of the event that set it: the later event
wins whatever the arrival order, and a referral requested before a later fact
arrives with that fact applied."""

from __future__ import annotations

from dataclasses import replace

from services.referral.adapters.repository import ReferralRepository
from services.referral.domain.referral import ReferralRequest, withdraw_personal_data
from services.referral.domain.sharing import may_share_personal_data
from shared.db.uow import UnitOfWork
from shared.events import SYSTEM, Envelope
from shared.events.case import CaseMoved, CaseRetentionErased, ConsentRecorded
from shared.events.referral import ReferralSharingRestricted
from shared.logging import get_logger

log = get_logger(__name__)

# Stands in for a legal ground the case service recorded (its text stays in the case).
LEGAL_GROUND_RECORDED = "(案件に法的根拠が記録されています)"


def _newer(candidate: str, current: str | None) -> bool:
    return current is None or candidate > current


async def on_case_moved(envelope: Envelope, uow: UnitOfWork) -> None:
    moved = envelope.payload_as(CaseMoved)
    repo = ReferralRepository(uow.db)
    facts = await repo.case_facts(moved.case_id)
    if facts is not None and not _newer(envelope.event_id, facts.area_event_id):
        return  # an older move, arriving late
    await repo.set_case_facts(
        moved.case_id, exists=facts is not None, area=moved.to_area, area_event_id=envelope.event_id
    )
    count = await repo.move_case(moved.case_id, moved.to_area)
    if count:
        log.info("referrals_followed_case", case_id=moved.case_id, to_area=moved.to_area, count=count)


async def on_consent_recorded(envelope: Envelope, uow: UnitOfWork) -> None:
    recorded = envelope.payload_as(ConsentRecorded)
    repo = ReferralRepository(uow.db)
    facts = await repo.case_facts(recorded.case_id)
    if facts is not None and not _newer(envelope.event_id, facts.consent_event_id):
        return
    await repo.set_case_facts(
        recorded.case_id,
        exists=facts is not None,
        consent=recorded.consent,
        legal_ground_recorded=recorded.legal_ground_recorded,
        consent_event_id=envelope.event_id,
    )
    ground = LEGAL_GROUND_RECORDED if recorded.legal_ground_recorded else None
    if may_share_personal_data(recorded.consent, ground):
        return
    now = uow.clock.now()
    for referral in await repo.of_case(recorded.case_id):
        narrowed = withdraw_personal_data(referral, recorded.consent, now)
        if narrowed is None:
            continue
        await repo.narrow_sharing(narrowed)
        uow.publish(
            envelope.caused(
                ReferralSharingRestricted(
                    referral_id=narrowed.id,
                    case_id=narrowed.case_id,
                    agency_id=narrowed.agency_id,
                    area=narrowed.area,
                    withheld_fields=list(narrowed.withheld),
                ),
                aggregate_id=narrowed.id,
                actor=SYSTEM,
                case_id=narrowed.case_id,
                occurred_at=now,
            )
        )
        log.info("referral_sharing_restricted", referral_id=narrowed.id)


async def on_retention_erased(envelope: Envelope, uow: UnitOfWork) -> None:
    erased = envelope.payload_as(CaseRetentionErased)
    now = uow.clock.now()
    count = await ReferralRepository(uow.db).erase_personal(
        erased.case_ids, lambda r: withdraw_personal_data(r, r.consent, now) or r
    )
    log.info("retention_erased", case_id=erased.case_id, referrals=count)


async def with_known_case_facts(
    repo: ReferralRepository, request: ReferralRequest, request_event_id: str
) -> ReferralRequest:
    """Apply what later case events already told us (a move, a consent change) to a
    referral request that arrives after them."""
    facts = await repo.case_facts(request.case_id)
    if facts is None:
        return request
    if facts.area_event_id and facts.area and facts.area_event_id > request_event_id:
        request = replace(request, area=facts.area)
    if facts.consent_event_id and facts.consent and facts.consent_event_id > request_event_id:
        ground = (request.legal_ground or LEGAL_GROUND_RECORDED) if facts.legal_ground_recorded else None
        request = replace(request, consent=facts.consent, legal_ground=ground)
    return request
