"""referral.* — ``referral.requested`` is published by the case service (the
coordinator decides a referral); the agency's moves are published by the referral
service."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from shared.events.envelope import EventPayload

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
# Fields that identify or describe the person: sharing them needs consent or a
# recorded legal ground.
PERSONAL_FIELDS = frozenset({"person_name", "approximate_place", "household", "noticed"})


class ReferralRequested(EventPayload):
    TYPE: ClassVar[str] = "referral.requested"
    AGGREGATE: ClassVar[str] = "referral"

    referral_id: str
    case_id: str
    case_number: str
    area: str
    agency_id: str
    purpose: str
    urgency: str
    shared: dict[str, Any]
    consent: str
    legal_ground: str | None = None


class _AgencyMove(EventPayload):
    AGGREGATE: ClassVar[str] = "referral"

    referral_id: str
    case_id: str
    agency_id: str
    area: str


class ReferralReceived(_AgencyMove):
    """The referral reached the agency's inbox (it is now the agency's to act on)."""

    TYPE: ClassVar[str] = "referral.received"


class ReferralAcknowledged(_AgencyMove):
    """Agency staff opened the referral."""

    TYPE: ClassVar[str] = "referral.acknowledged"


class ReferralAccepted(_AgencyMove):
    TYPE: ClassVar[str] = "referral.accepted"
    note: str | None = None


class ReferralDeclined(_AgencyMove):
    TYPE: ClassVar[str] = "referral.declined"
    reason: str


class ReferralStatusChanged(_AgencyMove):
    """Later moves of the loop: in progress, on hold, completed, failed, cancelled."""

    TYPE: ClassVar[str] = "referral.status_changed"
    status: Literal["in_progress", "on_hold", "completed", "failed", "cancelled"]
    reason: str | None = None
