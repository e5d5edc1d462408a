"""case.* — published by the case service."""

from __future__ import annotations

from typing import ClassVar, Literal

from shared.events.envelope import EventPayload

# What a reporter may see of a case: the stage, never its contents.
ReporterStage = Literal["受付済", "対応中", "つなぎ済", "終結"]


class CaseOpened(EventPayload):
    TYPE: ClassVar[str] = "case.opened"
    AGGREGATE: ClassVar[str] = "case"

    case_id: str
    case_number: str
    area: str
    consultation_id: str
    reference: str
    reporter_id: str
    urgency: str
    categories: list[str]


class ConsultationLinked(EventPayload):
    """A further consultation joined an open case (same person or household)."""

    TYPE: ClassVar[str] = "case.consultation_linked"
    AGGREGATE: ClassVar[str] = "case"

    case_id: str
    consultation_id: str
    reference: str
    reporter_id: str
    reason: str


class CaseAssigned(EventPayload):
    TYPE: ClassVar[str] = "case.assigned"
    AGGREGATE: ClassVar[str] = "case"

    case_id: str
    area: str
    coordinator_id: str
    previous_coordinator_id: str | None = None


class CaseStatusChanged(EventPayload):
    TYPE: ClassVar[str] = "case.status_changed"
    AGGREGATE: ClassVar[str] = "case"

    case_id: str
    area: str
    from_status: str
    to_status: str
    reason: str | None = None


class CaseStageChanged(EventPayload):
    """The stage a reporter sees changed (derived by the case service)."""

    TYPE: ClassVar[str] = "case.stage_changed"
    AGGREGATE: ClassVar[str] = "case"

    case_id: str
    stage: ReporterStage
