"""referral.* — ``referral.requested`` is published by the case service (the
coordinator decides a referral); the agency's moves are published by the referral
service."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from shared.events.envelope import EventPayload
from shared.events.personal import PERSONAL, OptionalPersonalText, PersonalText

# The fields a coordinator may choose to share with an agency. Nothing else about a
# case ever leaves the case service in a referral.
ShareableField = Literal[
    "person_name",
    "age_group",
    "approximate_place",
    "school_district",
    "categories",
    "household",
    "noticed",
    "urgency",
]
SHAREABLE_FIELDS: tuple[str, ...] = ShareableField.__args__  # type: ignore[attr-defined]
# What every page calls them (the coordinator choosing, the agency reading).
SHAREABLE_LABELS: dict[str, str] = {
    "person_name": "氏名",
    "age_group": "年代",
    "approximate_place": "おおよその場所",
    "school_district": "小学校区",
    "categories": "相談分類",
    "household": "世帯構成(続柄・年代)",
    "noticed": "気づいたこと",
    "urgency": "緊急度",
}
# Fields that identify or describe the person: sharing them needs consent or a
# recorded legal ground.
PERSONAL_FIELDS = frozenset({"person_name", "approximate_place", "household", "noticed"})


class ReferralRequested(EventPayload):
    """A coordinator referred the case to an agency, sharing only the fields chosen (``shared``)."""

    TYPE: ClassVar[str] = "referral.requested"
    AGGREGATE: ClassVar[str] = "referral"
    PUBLISHER: ClassVar[str] = "case"  # the coordinator decides a referral in the case service

    referral_id: str
    case_id: str
    case_number: str
    area: str
    agency_id: str
    purpose: PersonalText
    urgency: str
    shared: Annotated[dict[str, Any], PERSONAL]  # sealed as one value: which fields were chosen says enough
    consent: str
    legal_ground: str | None = None
    member_id: str | None = None  # additive (v1): a referral for one household member


class _AgencyMove(EventPayload):
    AGGREGATE: ClassVar[str] = "referral"
    PUBLISHER: ClassVar[str] = "referral"

    referral_id: str
    case_id: str
    agency_id: str
    area: str
    # The referral's version after this move (1 = received). Consumers that keep a
    # copy of its state let the higher version win when events arrive out of order.
    version: int | None = None


class ReferralReceived(_AgencyMove):
    """The referral reached the agency's inbox (it is now the agency's to act on).
    Carries what follow-up needs: the agency's kind, the urgency and the deadlines
    the agency was shown (acknowledge by / accept or decline by)."""

    TYPE: ClassVar[str] = "referral.received"
    agency_kind: str | None = None
    urgency: str | None = None
    acknowledge_by: datetime | None = None
    decide_by: datetime | None = None


class ReferralAcknowledged(_AgencyMove):
    """Agency staff opened the referral."""

    TYPE: ClassVar[str] = "referral.acknowledged"


class ReferralAccepted(_AgencyMove):
    """The agency accepted the referral."""

    TYPE: ClassVar[str] = "referral.accepted"
    note: OptionalPersonalText = None


class ReferralDeclined(_AgencyMove):
    """The agency declined the referral, with its reason."""

    TYPE: ClassVar[str] = "referral.declined"
    reason: PersonalText


class ReferralStatusChanged(_AgencyMove):
    """Later moves of the loop: in progress (started or resumed), on hold, completed,
    failed, cancelled. ``failed`` is also published by the referral service itself when
    a requested referral cannot be delivered (agency not in the directory)."""

    TYPE: ClassVar[str] = "referral.status_changed"
    status: Literal["in_progress", "on_hold", "completed", "failed", "cancelled"]
    reason: OptionalPersonalText = None
    # The move that caused it (start, resume, hold, complete, fail, cancel, undeliverable).
    action: str | None = None
    note: OptionalPersonalText = None


class ReferralSharingRestricted(EventPayload):
    """The person's consent was withdrawn (and no legal ground is recorded): the
    referral service removed every personal field from what the agency sees.
    ``withheld_fields`` are field names only, never values."""

    TYPE: ClassVar[str] = "referral.sharing_restricted"
    AGGREGATE: ClassVar[str] = "referral"
    PUBLISHER: ClassVar[str] = "referral"

    referral_id: str
    case_id: str
    agency_id: str
    area: str
    withheld_fields: list[str]


class ReferralViewed(EventPayload):
    """Someone read a referral (the actor of the envelope): the case service keeps it with
    the case's other reads, so a supervisor sees every read of a case in one place.
    ``fields_shown`` are the shared fields that read showed, names only."""

    TYPE: ClassVar[str] = "referral.viewed"
    AGGREGATE: ClassVar[str] = "referral"
    PUBLISHER: ClassVar[str] = "referral"

    referral_id: str
    case_id: str
    agency_id: str
    view: Literal["detail", "fhir", "move"]
    fields_shown: list[str]
