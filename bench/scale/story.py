"""One case's life as the services would have written it: the events in order (each an
``Envelope`` with the time it happened) and the rows each service keeps. The shapes and
hashes come from the services' own code; only the choices (who, when, what) are drawn here."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bench.scale import people
from bench.scale.people import ulid_at
from services.case.domain.case_number import case_number
from services.case.domain.matching import MatchKeys, PersonFacts
from services.case.handlers.new_cases import consultation_row, member_rows
from shared.events import Envelope
from shared.events.case import (
    CaseAssigned,
    CaseOpened,
    CaseStageChanged,
    CaseStatusChanged,
    CaseTriaged,
    ContactRecorded,
    NoteAdded,
)
from shared.events.envelope import SYSTEM, Actor, EventPayload
from shared.reference import ReferenceData

CONTACT_CHANNELS = ["電話", "訪問", "来所"]


@dataclass
class Story:
    """Rows by (service, table), and the case's events in order."""

    case_id: str
    rows: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    events: list[Envelope] = field(default_factory=list)

    def add(self, service: str, table: str, row: dict[str, Any]) -> None:
        self.rows.setdefault((service, table), []).append(row)


class Teller:
    """Draws cases from a seeded random stream; ``now`` anchors the two years."""

    def __init__(self, reference: ReferenceData, keys: MatchKeys, now: datetime, seed: int = 22) -> None:
        self.reference, self.keys, self.now = reference, keys, now
        self.rng = random.Random(seed)
        self.districts = [d.id for d in reference.school_districts]
        self.categories = [c.id for c in reference.categories]
        self.agencies = reference.agencies
        self.coordinators: dict[str, list[str]] = {}
        for c in reference.coordinators:
            self.coordinators.setdefault(c.area, []).append(c.id)
        self.any_coordinator = [c.id for c in reference.coordinators]
        self.reporters = [f"reporter-{i}" for i in range(400)]
        self.numbers: set[str] = set()

    def case(self, extra_entries: int = 0) -> Story:
        rng = self.rng
        opened = self.now - timedelta(seconds=rng.uniform(3600, 730 * 86400))
        age_days = (self.now - opened).days
        if extra_entries:  # the long case is open, in hand, so its records keep coming
            status = "対応中"
        elif age_days > 120 and rng.random() < 0.92:
            status = "終結"
        else:
            status = rng.choices(["受付", "対応中", "つなぎ中", "見守り"], [30, 40, 20, 10])[0]
        referred = status != "受付" and rng.random() < (0.3 / 0.75)
        t = _Times(opened, rng, min(1.0, max(age_days, 0.1) / 40))
        consultation = people.consultation(rng, t.next(0), self.districts, self.categories, self.reporters)
        case_id = ulid_at(opened, rng)
        # A case number keeps 30 bits of the id: ~4,000 cases a month collide now and then.
        while (number := case_number(case_id, opened)) in self.numbers:
            case_id = ulid_at(opened, rng)
        self.numbers.add(number)
        story = Story(case_id)
        area = self.reference.area_of_district(consultation.school_district)
        coordinator = rng.choice(self.coordinators.get(area) or self.any_coordinator)
        reporter = Actor(role="reporter", id=consultation.reporter_id)
        me = Actor(role="coordinator", id=coordinator)
        submitted = self._event(story, consultation, consultation.consultation_id, reporter, opened, opened)
        facts = PersonFacts.of(
            consultation.school_district,
            consultation.person.model_dump(),
            [m.model_dump() for m in consultation.household],
        )
        case = {
            "id": case_id,
            "case_number": number,
            "area": area,
            "school_district": consultation.school_district,
            "status": status,
            "stage": "受付済",
            "priority": consultation.urgency,
            "categories": list(consultation.categories),
            "coordinator_id": None,
            "consent": consultation.consent,
            "legal_ground": None,
            "person": consultation.person.model_dump(mode="json"),
            "channel": consultation.channel,
            "sample": False,
            "opened_at": opened,
            "updated_at": opened,
            "first_contact_at": None,
            "first_handoff_at": None,
            "closed_at": None,
            "merged_into": None,
            "version": 1,
            "erased_at": None,
        }
        story.add("case", "cases", case)
        story.add(
            "case", "case_consultations", consultation_row(consultation, case_id, "opened", opened, facts, self.keys)
        )
        for member in member_rows(case_id, consultation, [], opened, self.keys):
            story.add("case", "household_members", {**member, "id": ulid_at(opened, rng)})
        story.add(
            "intake",
            "consultations",
            {
                "id": consultation.consultation_id,
                "reference": consultation.reference,
                "reporter_id": consultation.reporter_id,
                "reporter_role": consultation.reporter_role,
                "channel": consultation.channel,
                "school_district": consultation.school_district,
                "categories": consultation.categories,
                "urgency": consultation.urgency,
                "consent": consultation.consent,
                "legal_ground": None,
                "person": consultation.person.model_dump(mode="json"),
                "household": [m.model_dump(mode="json") for m in consultation.household],
                "noticed": consultation.noticed,
                "sample": False,
                "received_at": opened,
                "case_id": case_id,
            },
        )
        story.add(
            "notify",
            "cases",
            {
                "case_id": case_id,
                "case_number": number,
                "area": area,
                "urgency": consultation.urgency,
                "opened_at": opened,
            },
        )
        story.add("notify", "case_reporters", {"case_id": case_id, "reporter_id": consultation.reporter_id})
        opened_payload = CaseOpened(
            case_id=case_id,
            case_number=number,
            area=area,
            consultation_id=consultation.consultation_id,
            reference=consultation.reference,
            reporter_id=consultation.reporter_id,
            urgency=consultation.urgency,
            categories=list(consultation.categories),
        )
        opened_event = self._event(story, opened_payload, case_id, SYSTEM, opened, opened, submitted)
        self._notify(story, opened_event, "consultation_received", "reporter", consultation.reporter_id)
        stage = "受付済"
        if status != "受付":
            at = t.next(2)
            self._event(story, CaseAssigned(case_id=case_id, area=area, coordinator_id=coordinator), case_id, me, at)
            case.update(coordinator_id=coordinator)
            self._event(
                story,
                CaseStatusChanged(case_id=case_id, area=area, from_status="受付", to_status="対応中"),
                case_id,
                me,
                at,
            )
            stage = "対応中"
            self._event(story, CaseStageChanged(case_id=case_id, stage=stage), case_id, SYSTEM, at)
            self._event(
                story,
                CaseTriaged(
                    case_id=case_id, area=area, priority=consultation.urgency, categories=list(consultation.categories)
                ),
                case_id,
                me,
                t.next(1),
            )
            case["first_contact_at"] = self._contacts(story, me, t, 3 + extra_entries // 2)
            self._notes(story, me, t, 2 + extra_entries - extra_entries // 2)
        if referred:
            self._referral(story, case, me, t, consultation.urgency, closed=status == "終結")
            stage = "つなぎ済"
        if status == "終結":
            at = t.next(5)
            self._event(
                story,
                CaseStatusChanged(case_id=case_id, area=area, from_status="対応中", to_status="終結"),
                case_id,
                me,
                at,
            )
            stage = "終結"
            self._event(story, CaseStageChanged(case_id=case_id, stage=stage), case_id, SYSTEM, at)
            case["closed_at"] = at
        case.update(stage=stage, updated_at=story.events[-1].occurred_at, version=len(story.events) - 1)
        story.add(
            "intake",
            "case_stages",
            {
                "case_id": case_id,
                "stage": stage,
                "event_id": story.events[-1].event_id,
                "updated_at": story.events[-1].occurred_at,
            },
        )
        return story

    def _event(
        self,
        story: Story,
        payload: EventPayload,
        aggregate_id: str,
        actor: Actor,
        at: datetime,
        recorded: datetime | None = None,
        cause: Envelope | None = None,
    ) -> Envelope:
        envelope = Envelope.wrap(
            payload,
            aggregate_id=aggregate_id,
            actor=actor,
            case_id=story.case_id,
            occurred_at=at,
            correlation_id=cause.correlation_id if cause else story.case_id,
            causation_id=cause.event_id if cause else None,
        ).model_copy(update={"event_id": ulid_at(at, self.rng)})
        story.events.append(envelope)
        return envelope

    def _contacts(self, story: Story, me: Actor, t: _Times, n: int) -> datetime:
        first = None
        for _ in range(n):
            at = t.next(1)
            first = first or at
            contact_id = ulid_at(at, self.rng)
            channel = self.rng.choice(CONTACT_CHANNELS)
            story.add(
                "case",
                "contacts",
                {
                    "id": contact_id,
                    "case_id": story.case_id,
                    "contacted_at": at,
                    "channel": channel,
                    "whom": "本人",
                    "outcome": "様子を確認した。",
                    "recorded_by": me.id,
                    "recorded_at": at,
                },
            )
            self._event(
                story,
                ContactRecorded(
                    case_id=story.case_id, contact_id=contact_id, channel=channel, contacted_at=at.isoformat()
                ),
                story.case_id,
                me,
                at,
            )
        assert first is not None
        return first

    def _notes(self, story: Story, me: Actor, t: _Times, n: int) -> None:
        for _ in range(n):
            at = t.next(1)
            note_id = ulid_at(at, self.rng)
            story.add(
                "case",
                "notes",
                {
                    "id": note_id,
                    "case_id": story.case_id,
                    "body": "次回訪問の予定を調整。",
                    "author_id": me.id,
                    "created_at": at,
                },
            )
            self._event(story, NoteAdded(case_id=story.case_id, note_id=note_id), story.case_id, me, at)

    def _referral(self, story: Story, case: dict[str, Any], me: Actor, t: _Times, urgency: str, closed: bool) -> None:
        from bench.scale.referral import referral_rows

        referral_rows(self, story, case, me, t, urgency, closed)

    def _notify(self, story: Story, about: Envelope, kind: str, role: str, scope: str, **extra: Any) -> None:
        story.add(
            "notify",
            "notifications",
            {
                "id": ulid_at(about.occurred_at, self.rng),
                "recipient_role": role,
                "recipient_scope": scope,
                "recipient_person": None,
                "kind": kind,
                "title": kind,
                "body": f"{kind} ({story.case_id})",
                "case_id": story.case_id,
                "referral_id": extra.get("referral_id"),
                "about_event_id": about.event_id,
                "created_at": about.occurred_at,
                "read_at": None,
                "read_by": None,
            },
        )


class _Times:
    """Moments after the case opened, a few days apart, never past now."""

    def __init__(self, start: datetime, rng: random.Random, scale: float) -> None:
        self.at, self.rng, self.scale = start, rng, scale

    def next(self, days: float) -> datetime:
        self.at += timedelta(days=self.rng.uniform(0, days) * self.scale, minutes=self.rng.uniform(1, 90) * self.scale)
        return self.at
