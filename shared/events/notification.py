"""notification.* and followup.* — published by the notify service."""

from __future__ import annotations

from typing import ClassVar

from shared.events.envelope import EventPayload


class NotificationRecorded(EventPayload):
    """A notification was recorded for a party (its text stays in notify)."""

    TYPE: ClassVar[str] = "notification.recorded"
    AGGREGATE: ClassVar[str] = "notification"
    PUBLISHER: ClassVar[str] = "notify"

    notification_id: str
    recipient_role: str
    recipient_scope: str
    kind: str
    case_id: str | None = None
    referral_id: str | None = None
    about_event_id: str


class FollowupFired(EventPayload):
    """A follow-up came due: a reminder or an escalation — of a handoff (``referral_id``)
    or of a watch plan's missed check-in (``plan_id``, step ``checkin``), of a helper's
    task past its due day (``task_id``, step ``helper_task``), of a case conference's
    task left open (``task_id``, step ``task``), or of an approval request left in the
    supervisor's queue (``approval_id``, step ``approval``)."""

    TYPE: ClassVar[str] = "followup.fired"
    AGGREGATE: ClassVar[str] = "referral"
    PUBLISHER: ClassVar[str] = "notify"

    followup_id: str
    referral_id: str | None = None
    case_id: str
    step: str
    recipient_role: str
    recipient_scope: str
    overdue_since: str
    # Additive (v1): which rung of the ladder (1 agency reminder, 2 coordinator,
    # 3 supervisor) and the lateness as shown to people.
    rung: int | None = None
    late: str | None = None
    plan_id: str | None = None  # additive (v1)
    task_id: str | None = None  # additive (v1): a helper's task or a conference's task (by ``step``)
    approval_id: str | None = None  # additive (v1): a supervisor's approval request left waiting


class DeliveryFailed(EventPayload):
    """A notification could not be delivered on an external channel (email, webhook)
    after every retry. The in-app copy still exists; a supervisor is told."""

    TYPE: ClassVar[str] = "notification.delivery_failed"
    AGGREGATE: ClassVar[str] = "notification"
    PUBLISHER: ClassVar[str] = "notify"

    notification_id: str
    delivery_id: str
    channel: str
    attempts: int
    error: str
    recipient_role: str
    recipient_scope: str
    case_id: str | None = None
    referral_id: str | None = None
