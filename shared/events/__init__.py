"""Event contracts, declared once. Services import them; they never redeclare them."""

from shared.events import approvals as _approvals  # noqa: F401  (its events join EVENT_TYPES)
from shared.events.account import (
    AccountCreated,
    AccountDisabled,
    AccountEnabled,
    AccountGrantsChanged,
    SessionEnded,
)
from shared.events.case import CaseAssigned, CaseOpened, CaseStageChanged, CaseStatusChanged, ConsultationLinked
from shared.events.conference import ConferencePlanned
from shared.events.consultation import ConsultationSubmitted
from shared.events.envelope import SYSTEM, Actor, Envelope, EventPayload, new_event_id
from shared.events.helper import HelperTaskAssigned
from shared.events.members import MemberNeedsRecorded
from shared.events.notification import FollowupFired, NotificationRecorded
from shared.events.referral import (
    ReferralAccepted,
    ReferralAcknowledged,
    ReferralDeclined,
    ReferralReceived,
    ReferralRequested,
    ReferralStatusChanged,
    ReferralViewed,
)


def _all_payload_types() -> dict[str, type[EventPayload]]:
    """Every concrete event declared in this package (subclasses with a TYPE)."""
    found: dict[str, type[EventPayload]] = {}
    todo = list(EventPayload.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if "TYPE" in cls.__dict__:
            if cls.TYPE in found and found[cls.TYPE] is not cls:
                raise TypeError(f"event type {cls.TYPE} declared twice")
            found[cls.TYPE] = cls
    return found


EVENT_TYPES: dict[str, type[EventPayload]] = _all_payload_types()

# One Redis stream per event family.
FAMILIES = ("consultation", "case", "referral", "notification", "followup", "account", "session")


def stream_for(event_type_or_family: str) -> str:
    family = event_type_or_family.split(".", 1)[0]
    if family not in FAMILIES:
        raise ValueError(f"unknown event family: {family}")
    return f"tsunagi.{family}"


__all__ = [
    "ConferencePlanned",
    "MemberNeedsRecorded",
    "EVENT_TYPES",
    "AccountCreated",
    "AccountDisabled",
    "AccountEnabled",
    "AccountGrantsChanged",
    "FAMILIES",
    "SYSTEM",
    "Actor",
    "CaseAssigned",
    "CaseOpened",
    "CaseStageChanged",
    "CaseStatusChanged",
    "ConsultationLinked",
    "ConsultationSubmitted",
    "Envelope",
    "EventPayload",
    "FollowupFired",
    "HelperTaskAssigned",
    "NotificationRecorded",
    "ReferralAccepted",
    "ReferralAcknowledged",
    "ReferralDeclined",
    "ReferralReceived",
    "ReferralRequested",
    "ReferralStatusChanged",
    "ReferralViewed",
    "SessionEnded",
    "new_event_id",
    "stream_for",
]
