"""case.conference_* — a case conference (ケース会議・地区推進会議・支援会議) on the timeline
of each case it discusses: one event per case, the case as the aggregate (retention
erases it with the case), the meeting named by ``conference_id``. Participants are named
by account or agency id, never by name; what was decided and a task's words are the
coordinator's (sealed). Notify chases an open task (``due_at``) on the follow-up ladder."""

from __future__ import annotations

from typing import ClassVar, Literal

from shared.events.envelope import EventPayload
from shared.events.personal import PersonalText

ConferenceKindName = Literal["ケース会議", "地区推進会議", "支援会議"]
TaskOwnerKind = Literal["coordinator", "helper", "agency"]


class _ConferenceEvent(EventPayload):
    AGGREGATE: ClassVar[str] = "case"
    PUBLISHER: ClassVar[str] = "case"

    conference_id: str
    case_id: str
    area: str
    kind: ConferenceKindName


class ConferencePlanned(_ConferenceEvent):
    """A meeting will discuss the case, on ``held_on``, with these participants."""

    TYPE: ClassVar[str] = "case.conference_planned"
    held_on: str  # JST date
    accounts: list[str]
    agencies: list[str]


class ConferenceHeld(_ConferenceEvent):
    TYPE: ClassVar[str] = "case.conference_held"
    held_on: str


class ConferenceCancelled(_ConferenceEvent):
    TYPE: ClassVar[str] = "case.conference_cancelled"


class ConferenceDecided(_ConferenceEvent):
    """The minutes: what the meeting decided about the case (sealed)."""

    TYPE: ClassVar[str] = "case.conference_decided"
    decision: PersonalText


class ConferenceShared(_ConferenceEvent):
    """The case's fields shared with the meeting's participants, and the legal ground each
    field was disclosed under (a 支援会議: 社会福祉法第106条の6; None: the person's consent).
    About one household member (``member_id``): ``consent`` is that member's own."""

    TYPE: ClassVar[str] = "case.conference_shared"
    fields: list[str]
    accounts: list[str]
    agencies: list[str]
    legal_ground: str | None
    consent: str
    member_id: str | None = None


class ConferenceTaskSet(_ConferenceEvent):
    """A task the meeting gave someone: notify chases it from the end of ``due_on``."""

    TYPE: ClassVar[str] = "case.conference_task_set"
    task_id: str
    owner_kind: TaskOwnerKind
    owner_id: str
    title: PersonalText
    due_on: str
    due_at: str  # the end (24:00 JST) of due_on, in UTC


class ConferenceTaskClosed(_ConferenceEvent):
    """The task is done (or cancelled): its follow-up ends."""

    TYPE: ClassVar[str] = "case.conference_task_closed"
    task_id: str
    outcome: Literal["done", "cancelled"]
