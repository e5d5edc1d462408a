"""case.* events of supervisor approvals (監督者の承認), unmet needs and community
issues (地域課題) — published by the case service. Reasons, what is missing and an
issue's title are people's own words: sealed."""

from __future__ import annotations

from typing import ClassVar, Literal

from shared.events.envelope import EventPayload
from shared.events.personal import PersonalText

ApprovalKind = Literal["approval", "review"]
ApprovalMove = Literal["share_without_consent", "close_with_open_work", "reopen_after_long", "merge_across_areas"]


class ApprovalRequested(EventPayload):
    """A move waits for a supervisor (``approval``), or a 緊急 share made at once is put
    before them (``review``). Notify chases it past ``decide_by``."""

    TYPE: ClassVar[str] = "case.approval_requested"
    AGGREGATE: ClassVar[str] = "case"
    PUBLISHER: ClassVar[str] = "case"

    approval_id: str
    case_id: str
    area: str
    kind: ApprovalKind
    move: ApprovalMove
    request_reason: PersonalText
    requested_by: str
    decide_by: str  # the end of the business day it should be decided by (UTC ISO)


class ApprovalDecided(EventPayload):
    """A supervisor approved or refused the request (a review: 確認済 or objected)."""

    TYPE: ClassVar[str] = "case.approval_decided"
    AGGREGATE: ClassVar[str] = "case"
    PUBLISHER: ClassVar[str] = "case"

    approval_id: str
    case_id: str
    area: str
    kind: ApprovalKind
    move: ApprovalMove
    decision: Literal["approved", "refused"]
    decision_reason: PersonalText
    requested_by: str


class ApprovalWithdrawn(EventPayload):
    """The requesting coordinator withdrew the request before it was decided."""

    TYPE: ClassVar[str] = "case.approval_withdrawn"
    AGGREGATE: ClassVar[str] = "case"
    PUBLISHER: ClassVar[str] = "case"

    approval_id: str
    case_id: str
    area: str


class ApprovalCarriedOut(EventPayload):
    """The system made the approved move (``carried_out``: ``result_id`` is what it made,
    e.g. the referral), or could not (``failed``: ``message`` says why, as the direct
    move would have been refused)."""

    TYPE: ClassVar[str] = "case.approval_carried_out"
    AGGREGATE: ClassVar[str] = "case"
    PUBLISHER: ClassVar[str] = "case"

    approval_id: str
    case_id: str
    area: str
    move: ApprovalMove
    outcome: Literal["carried_out", "failed"]
    result_id: str | None = None
    message: str | None = None


class UnmetNeedRecorded(EventPayload):
    """A coordinator recorded that no service exists for a need of the case."""

    TYPE: ClassVar[str] = "case.unmet_need_recorded"
    AGGREGATE: ClassVar[str] = "case"
    PUBLISHER: ClassVar[str] = "case"

    need_id: str
    case_id: str
    area: str
    category: str
    school_district: str
    missing: PersonalText


class CommunityIssueRaised(EventPayload):
    """Needs of several cases were gathered into a community issue of an area."""

    TYPE: ClassVar[str] = "case.community_issue_raised"
    AGGREGATE: ClassVar[str] = "community_issue"
    PUBLISHER: ClassVar[str] = "case"

    issue_id: str
    area: str
    title: PersonalText
    need_ids: list[str]
    case_ids: list[str]


class CommunityIssueStatusChanged(EventPayload):
    """raised → discussed → developing → addressed (提起 → 協議中 → 資源開発中 → 解決)."""

    TYPE: ClassVar[str] = "case.community_issue_status_changed"
    AGGREGATE: ClassVar[str] = "community_issue"
    PUBLISHER: ClassVar[str] = "case"

    issue_id: str
    area: str
    from_status: str
    to_status: str


class NeedGathered(EventPayload):
    """On a case's timeline: its unmet need is now part of a community issue."""

    TYPE: ClassVar[str] = "case.need_gathered"
    AGGREGATE: ClassVar[str] = "case"
    PUBLISHER: ClassVar[str] = "case"

    need_id: str
    case_id: str
    issue_id: str
    area: str
