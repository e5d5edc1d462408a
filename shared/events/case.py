"""case.* — published by the case service."""

from __future__ import annotations

from typing import ClassVar, Literal

from shared.events.envelope import EventPayload
from shared.events.personal import OptionalPersonalText

# What a reporter may see of a case: the stage, never its contents.
ReporterStage = Literal["受付済", "対応中", "つなぎ済", "終結"]


class CaseOpened(EventPayload):
    """A consultation became a new case, in the queue of its daily-life area."""

    TYPE: ClassVar[str] = "case.opened"
    AGGREGATE: ClassVar[str] = "case"
    PUBLISHER: ClassVar[str] = "case"

    case_id: str
    case_number: str
    area: str
    consultation_id: str
    reference: str
    reporter_id: str
    urgency: str
    categories: list[str]
    # When intake received the consultation (ISO, UTC): notify chases an unassigned case from here.
    received_at: str | None = None


class ConsultationLinked(EventPayload):
    """A further consultation joined an open case (same person or household)."""

    TYPE: ClassVar[str] = "case.consultation_linked"
    AGGREGATE: ClassVar[str] = "case"
    PUBLISHER: ClassVar[str] = "case"

    case_id: str
    consultation_id: str
    reference: str
    reporter_id: str
    reason: str


class CaseAssigned(EventPayload):
    """A coordinator was given the case (``previous_coordinator_id``: it was reassigned)."""

    TYPE: ClassVar[str] = "case.assigned"
    AGGREGATE: ClassVar[str] = "case"
    PUBLISHER: ClassVar[str] = "case"

    case_id: str
    area: str
    coordinator_id: str
    previous_coordinator_id: str | None = None


class CaseStatusChanged(EventPayload):
    """The case moved from one status to another (``from_status`` → ``to_status``)."""

    TYPE: ClassVar[str] = "case.status_changed"
    AGGREGATE: ClassVar[str] = "case"
    PUBLISHER: ClassVar[str] = "case"

    case_id: str
    area: str
    from_status: str
    to_status: str
    reason: OptionalPersonalText = None  # the coordinator's own words


class CaseStageChanged(EventPayload):
    """The stage a reporter sees changed (derived by the case service)."""

    TYPE: ClassVar[str] = "case.stage_changed"
    AGGREGATE: ClassVar[str] = "case"
    PUBLISHER: ClassVar[str] = "case"

    case_id: str
    stage: ReporterStage


# Coordination on the case. Identifiers and choices only: no names, notes or
# free text leave the case service in these events.


class CaseTriaged(EventPayload):
    """The coordinator set the case's priority and categories."""

    TYPE: ClassVar[str] = "case.triaged"
    AGGREGATE: ClassVar[str] = "case"
    PUBLISHER: ClassVar[str] = "case"

    case_id: str
    area: str
    priority: str
    categories: list[str]


class CaseMoved(EventPayload):
    """The case was routed to another daily-life area's queue."""

    TYPE: ClassVar[str] = "case.moved"
    AGGREGATE: ClassVar[str] = "case"
    PUBLISHER: ClassVar[str] = "case"

    case_id: str
    from_area: str
    to_area: str


class ConsentRecorded(EventPayload):
    """The person's consent to sharing was recorded, and whether a legal ground is."""

    TYPE: ClassVar[str] = "case.consent_recorded"
    AGGREGATE: ClassVar[str] = "case"
    PUBLISHER: ClassVar[str] = "case"

    case_id: str
    consent: str
    legal_ground_recorded: bool


class ContactRecorded(EventPayload):
    """A contact with the person or someone about them (its outcome stays in the case)."""

    TYPE: ClassVar[str] = "case.contact_recorded"
    AGGREGATE: ClassVar[str] = "case"
    PUBLISHER: ClassVar[str] = "case"

    case_id: str
    contact_id: str
    channel: str
    contacted_at: str


class NoteAdded(EventPayload):
    """A note was added to the case (its text stays in the case service)."""

    TYPE: ClassVar[str] = "case.note_added"
    AGGREGATE: ClassVar[str] = "case"
    PUBLISHER: ClassVar[str] = "case"

    case_id: str
    note_id: str


class HouseholdMemberAdded(EventPayload):
    """A member of the person's household was added to the case (the relation only)."""

    TYPE: ClassVar[str] = "case.household_member_added"
    AGGREGATE: ClassVar[str] = "case"
    PUBLISHER: ClassVar[str] = "case"

    case_id: str
    member_id: str
    relation: str


class LinkOffered(EventPayload):
    """A new case looks like an open one (likely match): offered to the coordinator."""

    TYPE: ClassVar[str] = "case.link_offered"
    AGGREGATE: ClassVar[str] = "case"
    PUBLISHER: ClassVar[str] = "case"

    case_id: str
    offer_id: str
    candidate_case_id: str
    reasons: list[str]


class CaseMerged(EventPayload):
    """Another case (``source_case_id``) was merged into this one."""

    TYPE: ClassVar[str] = "case.merged"
    AGGREGATE: ClassVar[str] = "case"
    PUBLISHER: ClassVar[str] = "case"

    case_id: str  # the case merged into (target)
    source_case_id: str
    merge_id: str


class CaseMergeUndone(EventPayload):
    """A merge was undone: the source case is its own case again."""

    TYPE: ClassVar[str] = "case.merge_undone"
    AGGREGATE: ClassVar[str] = "case"
    PUBLISHER: ClassVar[str] = "case"

    case_id: str  # the case that was merged into (target)
    source_case_id: str
    merge_id: str


class AttentionCleared(EventPayload):
    """The coordinator dealt with declined referrals that needed attention."""

    TYPE: ClassVar[str] = "case.attention_cleared"
    AGGREGATE: ClassVar[str] = "case"
    PUBLISHER: ClassVar[str] = "case"

    case_id: str
    referral_ids: list[str]


class DecisionNeeded(EventPayload):
    """Every referral of the case has ended (completed, declined, cancelled, failed): its
    coordinator is to decide the next step — 見守り with a plan, another referral, or 終結."""

    TYPE: ClassVar[str] = "case.decision_needed"
    AGGREGATE: ClassVar[str] = "case"
    PUBLISHER: ClassVar[str] = "case"

    case_id: str
    area: str
    referral_ids: list[str]


# What erased required text reads as, in every service.
ERASED_TEXT = "(消去済み)"


class CaseRetentionErased(EventPayload):
    """The case was closed longer than the city's retention period (保存期間): every
    service erases the personal fields it holds of ``case_ids`` (the case and the cases
    merged into it), and those of the events it published or dead-lettered about them
    (``aggregate_ids``: their consultations and referrals, whose events carry the
    case's personal fields under their own ids). Identifiers and field names only."""

    TYPE: ClassVar[str] = "case.retention_erased"
    AGGREGATE: ClassVar[str] = "case"
    PUBLISHER: ClassVar[str] = "case"

    case_id: str
    case_ids: list[str]
    closed_at: str
    retention_years: int
    erased: list[str]  # "table.column" the case service erased
    aggregate_ids: list[str] = []
