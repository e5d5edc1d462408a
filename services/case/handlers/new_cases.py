"""The rows a consultation writes (its own and its household's new members) and the cases a
batch of consultations opens, written together (one executemany per table)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.case.adapters.chain import add_to_timeline
from services.case.adapters.repository import CaseRepository
from services.case.domain.case_number import case_number
from services.case.domain.matching import Match, MatchKeys, PersonFacts, match_keys, normalise
from services.case.domain.status import RECEIVED
from services.case.handlers.common import CaseUpdate
from shared.clock import as_utc
from shared.db.uow import UnitOfWork
from shared.events import SYSTEM, CaseOpened, ConsultationSubmitted, Envelope, new_event_id
from shared.events.case import LinkOffered
from shared.logging import get_logger
from shared.reference import ReferenceData

log = get_logger(__name__)


def received_at(envelope: Envelope, consultation: ConsultationSubmitted, now: datetime) -> datetime:
    """When intake received the consultation (its event says; an older event: when intake
    published it), never after the case service handles it."""
    told = consultation.received_at
    at = as_utc(datetime.fromisoformat(told)) if told else as_utc(envelope.occurred_at)
    return min(at, now)


async def fresh_case_ids(repo: CaseRepository, count: int, now: Any) -> list[str]:
    """``count`` new case ids whose case numbers are free (30 random bits: a clash is rare)."""
    ids: list[str] = []
    while len(ids) < count:
        wanted = [new_event_id() for _ in range(count - len(ids))]
        numbers = {case_number(i, now): i for i in wanted}
        taken = await repo.case_numbers_taken(list(numbers))
        taken |= {case_number(i, now) for i in ids}
        ids.extend(i for n, i in numbers.items() if n not in taken)
    return ids


def consultation_row(
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


def member_rows(
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


class NewCases:
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
        self.consultations.append(consultation_row(consultation, case_id, "opened", received, facts, self.keys))
        self.members.extend(member_rows(case_id, consultation, [], now, self.keys))
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
