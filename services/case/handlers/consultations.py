"""A submitted consultation opens a case, or joins an open case about the same person
or household (受け止めきる: every consultation lands somewhere, nothing is dropped)."""

from __future__ import annotations

from services.case.adapters.chain import add_to_timeline
from services.case.adapters.member_needs import with_member_needs
from services.case.adapters.repository import CaseRepository
from services.case.domain.matching import Match, MatchKeys, PersonFacts, find_matches, likely_offers, match_keys
from services.case.domain.queue import higher_priority
from services.case.handlers.common import CaseUpdate
from services.case.handlers.new_cases import NewCases, consultation_row, fresh_case_ids, member_rows, received_at
from shared.db.uow import UnitOfWork
from shared.events import SYSTEM, ConsultationLinked, ConsultationSubmitted, Envelope
from shared.logging import get_logger
from shared.reference import ReferenceData

log = get_logger(__name__)

REASON_TEXT = {
    "same_name": "氏名",
    "same_place": "おおよその場所",
    "same_household": "世帯構成",
    "same_age_group": "年代",
    "same_school_district": "小学校区",
}


def reasons_text(reasons: tuple[str, ...] | list[str]) -> str:
    return "・".join(REASON_TEXT.get(r, r) for r in reasons)


async def on_consultations_submitted(
    envelopes: list[Envelope], uow: UnitOfWork, reference: ReferenceData, keys: MatchKeys
) -> None:
    """``consultation.submitted`` → a new case in the queue of the school district's
    daily-life area (unknown district → 市全域), or a link to the open case it exactly
    matches. Order: consultations are independent of each other; each is applied once
    (inbox) and only ever links to a case already open in this database (or opened
    earlier in the same batch), so arrival order decides only which of two simultaneous
    reports opens the case.

    A batch at a time: one query for the candidates of all of them (by match key), one
    for case-number collisions, and one executemany per table for the new cases — a
    batch costs about as many statements as one consultation did."""
    batch = [(envelope, envelope.payload_as(ConsultationSubmitted)) for envelope in envelopes]
    facts = [
        PersonFacts.of(c.school_district, c.person.model_dump(), [m.model_dump() for m in c.household], c.categories)
        for _e, c in batch
    ]
    repo = CaseRepository(uow.db)
    # Candidates: open cases sharing a key with any of them, oldest first; a case opened
    # or joined in this batch joins the pool for the consultations after it.
    pool = [
        (c["case_id"], PersonFacts.of(c["school_district"], c["person"], c["household"]))
        for c in await repo.open_candidates([match_keys(f, keys) for f in facts])
    ]
    pool = await with_member_needs(uow.db, pool)
    new_cases = NewCases(uow, reference, keys, await fresh_case_ids(repo, len(batch), uow.clock.now()))
    for (envelope, consultation), fact in zip(batch, facts, strict=True):
        matches = _best_per_case(find_matches(fact, pool))
        exact = next((m for m in matches if m.kind == "exact"), None)
        if exact is not None:
            await new_cases.flush()  # the case may be one this batch opened
            await _link(uow, keys, envelope, consultation, exact, fact)
            pool.append((exact.case_id, fact))
        else:
            case_id = new_cases.open(envelope, consultation, fact, likely_offers(matches))
            pool.append((case_id, fact))
    await new_cases.flush()


def _best_per_case(matches: list[Match]) -> list[Match]:
    seen: dict[str, Match] = {}
    for match in matches:  # exact ones come first
        seen.setdefault(match.case_id, match)
    return list(seen.values())


async def _link(
    uow: UnitOfWork,
    keys: MatchKeys,
    envelope: Envelope,
    consultation: ConsultationSubmitted,
    match: Match,
    facts: PersonFacts,
) -> None:
    repo = CaseRepository(uow.db)
    now = uow.clock.now()
    case = await repo.get(match.case_id, for_update=True)
    assert case is not None  # a candidate read in this transaction
    received = received_at(envelope, consultation, now)
    await repo.add_consultations([consultation_row(consultation, case["id"], "linked", received, facts, keys)])
    await repo.add_members(member_rows(case["id"], consultation, await repo.members_of([case["id"]]), now, keys))
    add_to_timeline(uow, (envelope, case["id"]))
    update = CaseUpdate(uow, case, actor=SYSTEM, correlation_id=envelope.correlation_id, cause=envelope)
    priority = higher_priority(consultation.urgency, case["priority"])
    categories = list(dict.fromkeys([*case["categories"], *consultation.categories]))
    update.set(priority=priority, categories=categories)
    # Consent and legal ground are about the person: a later report fills what is missing.
    if case["consent"] == "未確認" and consultation.consent != "未確認":
        update.set(consent=consultation.consent)
    if not case["legal_ground"] and consultation.legal_ground:
        update.set(legal_ground=consultation.legal_ground)
    update.emit(
        ConsultationLinked(
            case_id=case["id"],
            consultation_id=consultation.consultation_id,
            reference=consultation.reference,
            reporter_id=consultation.reporter_id,
            reason=f"同じ人・世帯の開いているケースと一致({reasons_text(match.reasons)})したため、自動で結び付けました。",
        )
    )
    await update.save()
    log.info(
        "consultation_linked",
        case_id=case["id"],
        match_reasons=list(match.reasons),
        correlation_id=envelope.correlation_id,
        event_id=envelope.event_id,
    )
