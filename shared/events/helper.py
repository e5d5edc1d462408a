"""case.helper_task_* — a community helper's task on a case (地域の支援者への依頼),
published by the case service. Account ids only, never names; the coordinator's
instructions and the helper's notes and reasons are sealed (``shared.events.personal``)."""

from __future__ import annotations

from typing import ClassVar, Literal

from shared.events.envelope import EventPayload
from shared.events.personal import OptionalPersonalText, PersonalText
from shared.events.watch import CheckInKind, CheckInOutcome

HelperTaskKind = Literal["見守り", "同行", "声かけ"]
HELPER_TASK_KINDS: tuple[str, ...] = HelperTaskKind.__args__  # type: ignore[attr-defined]


class HelperTaskAssigned(EventPayload):
    """A coordinator gave a community helper a task on the case, sharing ``shared_fields``
    (names of fields only: the values stay in the case service)."""

    TYPE: ClassVar[str] = "case.helper_task_assigned"
    AGGREGATE: ClassVar[str] = "case"
    PUBLISHER: ClassVar[str] = "case"

    case_id: str
    task_id: str
    area: str
    helper_id: str
    kind: HelperTaskKind
    due_on: str | None  # the last day (JST date), if any
    shared_fields: list[str]
    instructions: PersonalText


class HelperTaskMoved(EventPayload):
    """A task changed hands or ended: taken on, declined, done or withdrawn."""

    AGGREGATE: ClassVar[str] = "case"
    PUBLISHER: ClassVar[str] = "case"

    case_id: str
    task_id: str
    area: str
    helper_id: str
    kind: HelperTaskKind
    remark: OptionalPersonalText = None  # why declined or withdrawn; the helper's word on finishing


class HelperTaskAccepted(HelperTaskMoved):
    """The helper took the task on."""

    TYPE: ClassVar[str] = "case.helper_task_accepted"


class HelperTaskDeclined(HelperTaskMoved):
    """The helper declined the task (with a reason): the coordinator finds someone else."""

    TYPE: ClassVar[str] = "case.helper_task_declined"


class HelperTaskDone(HelperTaskMoved):
    """The helper reported the task done."""

    TYPE: ClassVar[str] = "case.helper_task_done"


class HelperTaskCancelled(HelperTaskMoved):
    """The coordinator withdrew the task."""

    TYPE: ClassVar[str] = "case.helper_task_cancelled"


class HelperTaskCheckedIn(EventPayload):
    """The helper's visit or call on the task and what they found; 気になる変化 and 緊急
    alert the area's coordinators, as a watch plan's check-in does."""

    TYPE: ClassVar[str] = "case.helper_task_checked_in"
    AGGREGATE: ClassVar[str] = "case"
    PUBLISHER: ClassVar[str] = "case"

    case_id: str
    task_id: str
    checkin_id: str
    area: str
    helper_id: str
    kind: CheckInKind
    outcome: CheckInOutcome
    checked_at: str
    note: OptionalPersonalText = None
