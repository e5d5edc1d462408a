"""A submitted consultation opens a case, or joins an open case about the same person
or household (受け止めきる: every consultation lands somewhere, nothing is dropped)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.case.adapters.chain import add_to_timeline
from services.case.adapters.member_needs import with_member_needs
from services.case.adapters.repository import CaseRepository
from services.case.domain.case_number import case_number
from services.case.domain.matching import (
    Match,
    MatchKeys,
    PersonFacts,
    find_matches,
    likely_offers,
    match_keys,
    normalise,
)
from services.case.domain.queue import higher_priority
from services.case.domain.status import RECEIVED
from services.case.handlers.common import CaseUpdate
from shared.clock import as_utc
from shared.db.uow import UnitOfWork
from shared.events import SYSTEM, CaseOpened, ConsultationLinked, ConsultationSubmitted, Envelope, new_event_id
from shared.events.case import LinkOffered
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


def received_at(envelope: Envelope, consultation: ConsultationSubmitted, now: datetime) -> datetime:
    """When intake received the consultation (its event says; an older event: when intake
    published it), never after the case service handles it."""
    told = consultation.received_at
    at = as_utc(datetime.fromisoformat(told)) if told else as_utc(envelope.occurred_at)
    return min(at, now)


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
    new_cases = _NewCases(uow, reference, keys, await _fresh_case_ids(repo, len(batch), uow.clock.now()))
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


async def _fresh_case_ids(repo: CaseRepository, count: int, now: Any) -> list[str]:
    """``count`` new case ids whose case numbers are free (30 random bits: a clash is rare)."""
    ids: list[str] = []
    while len(ids) < count:
        wanted = [new_event_id() for _ in range(count - len(ids))]
        numbers = {case_number(i, now): i for i in wanted}
        taken = await repo.case_numbers_taken(list(numbers))
        taken |= {case_number(i, now) for i in ids}
        ids.extend(i for n, i in numbers.items() if n not in taken)
    return ids


def _best_per_case(matches: list[Match]) -> list[Match]:
    seen: dict[str, Match] = {}
    for match in matches:  # exact ones come first
        seen.setdefault(match.case_id, match)
    return list(seen.values())


def _consultation_row(
    consultation: ConsultationSubmitted, case_id: str, how: str, at: Any, facts: PersonFacts, keys: MatchKeys
) -> dict[str, Any]:
    return {
        "consultation_id": consultation.consultation_id,
        "case_id": case_id,
        "reference": consultation.reference,
        "reporter_id": consultation.reporter_id,
        "reporter_role": consultation.reporter_role,
        "channel": consultation.channel,
        "school_district": consultation.school_district,
        "categories": consultation.categories,
        "urgency": consultation.urgency,
        "consent": consultation.consent,
        "legal_ground": consultation.legal_ground,
        "person": consultation.person.model_dump(mode="json"),
        "household": [m.model_dump(mode="json") for m in consultation.household],
        "noticed": consultation.noticed,
        "how": how,
        "received_at": at,
        **match_keys(facts, keys),
    }


def _member_rows(
    case_id: str, consultation: ConsultationSubmitted, existing: list[dict[str, Any]], at: Any, keys: MatchKeys
) -> list[dict[str, Any]]:
    """Members not yet known by relation and age group."""
    known = {(normalise(m["relation"]), normalise(m["age_group"])) for m in existing}
    rows = []
    for member in consultation.household:
        key = (normalise(member.relation), normalise(member.age_group))
        if key in known:
            continue
        known.add(key)
        rows.append(
            {
                "id": new_event_id(),
                "case_id": case_id,
                "relation": member.relation,
                "age_group": member.age_group,
                "name": member.name,
                "note": member.note,
                "source": consultation.consultation_id,
                "added_at": at,
                "name_key": keys.name(member.name),
            }
        )
    return rows


class _NewCases:
    """The rows of the cases a batch opens, written together by ``flush``."""

    def __init__(self, uow: UnitOfWork, reference: ReferenceData, keys: MatchKeys, case_ids: list[str]) -> None:
        self.uow = uow
        self.reference = reference
        self.keys = keys
        self.case_ids = case_ids
        self.now = uow.clock.now()
        self._clear()

    def _clear(self) -> None:
        self.cases: list[dict[str, Any]] = []
        self.consultations: list[dict[str, Any]] = []
        self.members: list[dict[str, Any]] = []
        self.offers: list[dict[str, Any]] = []
        self.timeline: list[tuple[Envelope, str]] = []

    def open(
        self, envelope: Envelope, consultation: ConsultationSubmitted, facts: PersonFacts, likely: list[Match]
    ) -> str:
        now = self.now
        received = received_at(envelope, consultation, now)
        case_id = self.case_ids.pop()
        area = self.reference.area_of_district(consultation.school_district)
        case = {
            "id": case_id,
            "case_number": case_number(case_id, now),
            "area": area,
            "school_district": consultation.school_district,
            "status": RECEIVED,
            "stage": "受付済",
            "priority": consultation.urgency,
            "categories": list(consultation.categories),
            "coordinator_id": None,
            "consent": consultation.consent,
            "legal_ground": consultation.legal_ground,
            "person": consultation.person.model_dump(mode="json"),
            "channel": consultation.channel,
            "sample": consultation.sample,
            "opened_at": now,
            "received_at": received,
            "updated_at": now,
            "merged_into": None,
            "version": 1,
        }
        self.cases.append(case)
        self.consultations.append(_consultation_row(consultation, case_id, "opened", received, facts, self.keys))
        self.members.extend(_member_rows(case_id, consultation, [], now, self.keys))
        self.timeline.append((envelope, case_id))
        update = CaseUpdate(self.uow, case, actor=SYSTEM, correlation_id=envelope.correlation_id, cause=envelope)
        update.emit(
            CaseOpened(
                case_id=case_id,
                case_number=case["case_number"],
                area=area,
                consultation_id=consultation.consultation_id,
                reference=consultation.reference,
                reporter_id=consultation.reporter_id,
                urgency=consultation.urgency,
                categories=list(consultation.categories),
                received_at=received.isoformat(),
            )
        )
        for match in likely:
            offer_id = new_event_id()
            self.offers.append(
                {
                    "id": offer_id,
                    "case_id": case_id,
                    "candidate_case_id": match.case_id,
                    "reasons": list(match.reasons),
                    "status": "offered",
                    "created_at": now,
                }
            )
            update.emit(
                LinkOffered(
                    case_id=case_id, offer_id=offer_id, candidate_case_id=match.case_id, reasons=list(match.reasons)
                )
            )
        # A new case starts at version 1: its creation events are not an update. Each is
        # published and put on the case's timeline together (as ``record`` does).
        for payload, aggregate_id in update.events:
            published = update.envelope(payload, aggregate_id)
            self.uow.publish(published)
            self.timeline.append((published, case_id))
        log.info(
            "case_opened",
            case_id=case_id,
            area=area,
            urgency=consultation.urgency,
            link_offers=len(likely),
            correlation_id=envelope.correlation_id,
            event_id=envelope.event_id,
        )
        return case_id

    async def flush(self) -> None:
        repo = CaseRepository(self.uow.db)
        await repo.add_many(self.cases)
        await repo.add_consultations(self.consultations)
        await repo.add_members(self.members)
        await repo.add_offers(self.offers)
        add_to_timeline(self.uow, *self.timeline)
        self._clear()


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
    await repo.add_consultations([_consultation_row(consultation, case["id"], "linked", received, facts, keys)])
    await repo.add_members(_member_rows(case["id"], consultation, await repo.members_of([case["id"]]), now, keys))
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
