"""A coordinator hands the case to an agency (つなぐ): ``referral.requested``."""

from __future__ import annotations

from typing import Any

from services.case.adapters.records import ReferralRepository
from services.case.adapters.repository import CaseRepository
from services.case.domain import moves
from services.case.domain import status as lifecycle
from services.case.domain.approvals import REVIEW, SHARE
from services.case.domain.member_needs import facts_of_member, member_consent
from services.case.domain.referrals import CaseFacts, check_share, shared_values
from services.case.handlers.approval_gates import Approved, add_request, claim, mover, share_gate
from services.case.handlers.common import CaseUpdate, check_version, family_ids, load_visible
from services.case.handlers.member_needs import member_of
from shared.db.uow import UnitOfWork
from shared.errors import InvalidInput
from shared.events import CaseStatusChanged, ReferralRequested, new_event_id
from shared.identity import Identity
from shared.reference import ReferenceData


async def request_referral(
    uow: UnitOfWork,
    reference: ReferenceData,
    case_id: str,
    agency_id: str,
    purpose: str,
    share: list[str],
    version: int,
    caller: Identity,
    correlation_id: str,
    member_id: str | None = None,
    *,
    approved: Approved | None = None,
) -> tuple[str, int]:
    """Checks the agency, the status and what may be shared; records the referral and
    publishes ``referral.requested`` carrying only the chosen fields' values. A case in
    hand moves to つなぎ中; earlier declines needing attention count as dealt with. A referral
    for one household member (``member_id``) shares that member's fields under their own
    consent where it differs (domain/member_needs.py).
    Personal fields without consent wait for a supervisor (``approved``: carrying it
    out), unless the case is 緊急: shared now, the supervisor reviews it afterwards."""
    actor = mover(caller, approved)
    if reference.agency(agency_id) is None:
        raise InvalidInput(f"紹介先「{agency_id}」は登録されていません。", field="agency_id")
    async with uow:
        case = await load_visible(uow, case_id, caller, for_update=True)
        check_version(case, version)
        moves.check_referral(moves.CaseState.of(case))
        family = await family_ids(uow, case_id)
        member = await member_of(uow, member_id, family)
        consent = member_consent(member, case["consent"]) if member else case["consent"]
        fields = check_share(share, consent, case["legal_ground"])
        needs = share_gate({**case, "consent": consent}, fields, reference, approved)
        facts = await case_facts(uow, case, family)
        if member is not None:
            facts = facts_of_member(facts, member)
        referral_id = new_event_id()
        now = uow.clock.now()
        referrals = ReferralRepository(uow.db)
        before = await referrals.of_cases(family)
        for earlier in before:
            if earlier["needs_attention"]:
                await referrals.update(earlier["id"], needs_attention=False, updated_at=now)
        await referrals.add(
            {
                "id": referral_id,
                "case_id": case_id,
                "agency_id": agency_id,
                "purpose": purpose,
                "shared_fields": fields,
                "member_id": member_id,
                "urgency": case["priority"],
                "status": "requested",
                "status_event_id": None,
                "requested_by": approved.requested_by if approved else caller.subject,
                "requested_at": now,
                "needs_attention": False,
                "updated_at": now,
            }
        )
        update = CaseUpdate(uow, case, actor=actor, correlation_id=correlation_id)
        update.set(decision_needed_at=None)  # another referral is the decision
        if approved is not None:
            await claim(update, approved, SHARE, result_id=referral_id)
        elif needs == REVIEW:
            await add_request(
                update,
                reference,
                kind=REVIEW,
                move=SHARE,
                params={"referral_id": referral_id, "agency_id": agency_id, "share": fields, "member_id": member_id},
                reason=case["legal_ground"],
                requested_by=caller.subject,
            )
        if case["first_handoff_at"] is None:
            update.set(first_handoff_at=now)
        update.emit(
            ReferralRequested(
                referral_id=referral_id,
                case_id=case_id,
                case_number=case["case_number"],
                area=case["area"],
                agency_id=agency_id,
                purpose=purpose,
                urgency=case["priority"],
                shared=shared_values(facts, fields),
                consent=consent,
                legal_ground=case["legal_ground"],
                member_id=member_id,
            ),
            aggregate_id=referral_id,
        )
        if case["status"] != lifecycle.CONNECTING:
            update.set(status=lifecycle.move(case["status"], lifecycle.CONNECTING))
            update.emit(
                CaseStatusChanged(
                    case_id=case_id,
                    area=case["area"],
                    from_status=case["status"],
                    to_status=lifecycle.CONNECTING,
                    reason="紹介依頼",
                )
            )
        # The new referral is not accepted yet: the family's others decide the reporter's stage.
        new_version = await update.save(referrals=before)
        await uow.commit()
    return referral_id, new_version


async def case_facts(uow: UnitOfWork, case: dict[str, Any], family: list[str]) -> CaseFacts:
    repo = CaseRepository(uow.db)
    consultations = await repo.consultations_of(family)
    members = await repo.members_of(family)
    person = case["person"] or {}
    return CaseFacts(
        person_name=person.get("name"),
        age_group=person.get("age_group"),
        approximate_place=person.get("approximate_place"),
        school_district=case["school_district"],
        categories=list(case["categories"]),
        # Relations and age groups only: names and notes of members stay in the case.
        household=[{"relation": m["relation"], "age_group": m["age_group"]} for m in members],
        noticed="\n---\n".join(c["noticed"] for c in consultations),
        urgency=case["priority"],
    )
