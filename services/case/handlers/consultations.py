"""A submitted consultation opens a case, or joins an open case about the same person
or household (受け止めきる: every consultation lands somewhere, nothing is dropped)."""

from __future__ import annotations

from typing import Any

from services.case.adapters.repository import CaseRepository
from services.case.adapters.timeline import TimelineRepository
from services.case.domain.case_number import case_number
from services.case.domain.matching import Match, PersonFacts, find_matches, normalise
from services.case.domain.queue import higher_priority
from services.case.domain.status import RECEIVED
from services.case.handlers.common import CaseUpdate, record
from shared.db.uow import UnitOfWork
from shared.events import SYSTEM, CaseOpened, ConsultationLinked, ConsultationSubmitted, Envelope, new_event_id
from shared.events.case import LinkOffered
from shared.logging import get_logger
from shared.reference import UNKNOWN_DISTRICT, ReferenceData

log = get_logger(__name__)

REASON_TEXT = {"same_name": "氏名", "same_place": "おおよその場所", "same_household": "世帯構成",
               "same_school_district": "小学校区"}


def reasons_text(reasons: tuple[str, ...] | list[str]) -> str:
    return "・".join(REASON_TEXT.get(r, r) for r in reasons)


async def on_consultation_submitted(envelope: Envelope, uow: UnitOfWork, reference: ReferenceData) -> None:
    """``consultation.submitted`` → a new case in the queue of the school district's
    daily-life area (unknown district → 市全域), or a link to the open case it exactly
    matches. Order: consultations are independent of each other; each is applied once
    (inbox) and only ever links to a case already open in this database, so arrival
    order decides only which of two simultaneous reports opens the case."""
    consultation = envelope.payload_as(ConsultationSubmitted)
    repo = CaseRepository(uow.session)
    facts = PersonFacts.of(consultation.school_district, consultation.person.model_dump(),
                           [m.model_dump() for m in consultation.household])
    candidates = await repo.open_candidates(consultation.school_district, UNKNOWN_DISTRICT)
    matches = _best_per_case(find_matches(facts, [
        (c["case_id"], PersonFacts.of(c["school_district"], c["person"], c["household"])) for c in candidates]))
    exact = next((m for m in matches if m.kind == "exact"), None)
    if exact is not None:
        await _link(uow, envelope, consultation, exact)
    else:
        await _open(uow, envelope, consultation, reference, [m for m in matches if m.kind == "likely"])


def _best_per_case(matches: list[Match]) -> list[Match]:
    seen: dict[str, Match] = {}
    for match in matches:  # exact ones come first
        seen.setdefault(match.case_id, match)
    return list(seen.values())


def _consultation_row(consultation: ConsultationSubmitted, case_id: str, how: str, at: Any) -> dict[str, Any]:
    return {
        "consultation_id": consultation.consultation_id, "case_id": case_id,
        "reference": consultation.reference, "reporter_id": consultation.reporter_id,
        "reporter_role": consultation.reporter_role, "channel": consultation.channel,
        "school_district": consultation.school_district, "categories": consultation.categories,
        "urgency": consultation.urgency, "consent": consultation.consent,
        "legal_ground": consultation.legal_ground, "person": consultation.person.model_dump(mode="json"),
        "household": [m.model_dump(mode="json") for m in consultation.household],
        "noticed": consultation.noticed, "how": how, "received_at": at,
    }


async def _add_household(repo: CaseRepository, case_id: str, consultation: ConsultationSubmitted,
                         existing: list[dict[str, Any]], at: Any) -> None:
    """Members not yet known by relation and age group are added."""
    known = {(normalise(m["relation"]), normalise(m["age_group"])) for m in existing}
    for member in consultation.household:
        key = (normalise(member.relation), normalise(member.age_group))
        if key in known:
            continue
        known.add(key)
        await repo.add_member({"id": new_event_id(), "case_id": case_id, "relation": member.relation,
                               "age_group": member.age_group, "name": member.name, "note": member.note,
                               "source": consultation.consultation_id, "added_at": at})


async def _open(uow: UnitOfWork, envelope: Envelope, consultation: ConsultationSubmitted,
                reference: ReferenceData, likely: list[Match]) -> None:
    repo = CaseRepository(uow.session)
    now = uow.clock.now()
    case_id = new_event_id()
    while await repo.case_number_taken(case_number(case_id, now)):  # 30 random bits: rare
        case_id = new_event_id()
    area = reference.area_of_district(consultation.school_district)
    case = {
        "id": case_id, "case_number": case_number(case_id, now), "area": area,
        "school_district": consultation.school_district, "status": RECEIVED, "stage": "受付済",
        "priority": consultation.urgency, "categories": list(consultation.categories), "coordinator_id": None,
        "consent": consultation.consent, "legal_ground": consultation.legal_ground,
        "person": consultation.person.model_dump(mode="json"), "channel": consultation.channel,
        "sample": consultation.sample, "opened_at": now, "updated_at": now, "merged_into": None, "version": 1,
    }
    await repo.add(case)
    await repo.add_consultation(_consultation_row(consultation, case_id, "opened", now))
    await _add_household(repo, case_id, consultation, [], now)
    await TimelineRepository(uow.session).add(envelope, case_id, now)
    update = CaseUpdate(uow, case, actor=SYSTEM, correlation_id=envelope.correlation_id, cause=envelope)
    update.emit(CaseOpened(case_id=case_id, case_number=case["case_number"], area=area,
                           consultation_id=consultation.consultation_id, reference=consultation.reference,
                           reporter_id=consultation.reporter_id, urgency=consultation.urgency,
                           categories=list(consultation.categories)))
    for match in likely:
        offer_id = new_event_id()
        await repo.add_offer({"id": offer_id, "case_id": case_id, "candidate_case_id": match.case_id,
                              "reasons": list(match.reasons), "status": "offered", "created_at": now})
        update.emit(LinkOffered(case_id=case_id, offer_id=offer_id, candidate_case_id=match.case_id,
                                reasons=list(match.reasons)))
    # A new case starts at version 1: its creation events are not an update.
    for payload, aggregate_id in update.events:
        await record(uow, update.envelope(payload, aggregate_id), case_id)
    log.info("case_opened", case_id=case_id, area=area, urgency=consultation.urgency, link_offers=len(likely))


async def _link(uow: UnitOfWork, envelope: Envelope, consultation: ConsultationSubmitted, match: Match) -> None:
    repo = CaseRepository(uow.session)
    now = uow.clock.now()
    case = await repo.get(match.case_id, for_update=True)
    assert case is not None  # a candidate read in this transaction
    await repo.add_consultation(_consultation_row(consultation, case["id"], "linked", now))
    await _add_household(repo, case["id"], consultation, await repo.members_of([case["id"]]), now)
    await TimelineRepository(uow.session).add(envelope, case["id"], now)
    update = CaseUpdate(uow, case, actor=SYSTEM, correlation_id=envelope.correlation_id, cause=envelope)
    priority = higher_priority(consultation.urgency, case["priority"])
    categories = list(dict.fromkeys([*case["categories"], *consultation.categories]))
    update.set(priority=priority, categories=categories)
    # Consent and legal ground are about the person: a later report fills what is missing.
    if case["consent"] == "未確認" and consultation.consent != "未確認":
        update.set(consent=consultation.consent)
    if not case["legal_ground"] and consultation.legal_ground:
        update.set(legal_ground=consultation.legal_ground)
    update.emit(ConsultationLinked(
        case_id=case["id"], consultation_id=consultation.consultation_id, reference=consultation.reference,
        reporter_id=consultation.reporter_id,
        reason=f"同じ人・世帯の開いているケースと一致({reasons_text(match.reasons)})したため、自動で結び付けました。"))
    await update.save()
    log.info("consultation_linked", case_id=case["id"], match_reasons=list(match.reasons))
