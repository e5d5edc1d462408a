"""Notify's HTTP response bodies (and how rows become them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from services.notify.domain.templates import STEP_LABELS
from shared.clock import as_utc, jst_text
from shared.http.paging import Page


def _utc(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


class NotificationOut(BaseModel):
    id: str
    kind: str
    title: str
    body: str
    case_id: str | None = Field(None, description="reporters never see it")
    referral_id: str | None = Field(None, description="reporters never see it")
    created_at: datetime
    created_at_jst: str
    read: bool = Field(description="read by the caller (colleagues sharing the inbox each have their own)")
    read_at: datetime | None = None
    first_read_at: datetime | None = Field(None, description="when anyone sharing this inbox first read it")

    @classmethod
    def of(cls, row: Any, *, for_reporter: bool) -> NotificationOut:
        return cls(
            id=row.id,
            kind=row.kind,
            title=row.title,
            body=row.body,
            case_id=None if for_reporter else row.case_id,
            referral_id=None if for_reporter else row.referral_id,
            created_at=as_utc(row.created_at),
            created_at_jst=jst_text(row.created_at),
            read=row.my_read_at is not None,
            read_at=_utc(row.my_read_at),
            first_read_at=_utc(row.read_at),
        )


class Inbox(Page[NotificationOut]):
    recipient: str = Field(description="role:scope whose inbox this is")
    unread_count: int


class AttemptOut(BaseModel):
    attempt: int
    ok: bool
    detail: str | None
    worker: str
    finished_at: datetime
    finished_at_jst: str


class DeliveryOut(BaseModel):
    id: str
    notification_id: str
    kind: str
    recipient: str
    channel: str
    target: str
    status: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None
    failed_at: datetime | None
    referral_id: str | None
    case_id: str | None
    attempt_log: list[AttemptOut]

    @classmethod
    def of(cls, row: Any, attempts: list[Any]) -> DeliveryOut:
        return cls(
            id=row.id,
            notification_id=row.notification_id,
            kind=row.kind,
            recipient=f"{row.recipient_role}:{row.recipient_scope}",
            channel=row.channel,
            target=row.target,
            status=row.status,
            attempts=row.attempts,
            last_error=row.last_error,
            next_attempt_at=_utc(row.next_attempt_at) if row.status == "pending" else None,
            created_at=as_utc(row.created_at),
            delivered_at=_utc(row.delivered_at),
            failed_at=_utc(row.failed_at),
            referral_id=row.referral_id,
            case_id=row.case_id,
            attempt_log=[
                AttemptOut(
                    attempt=a.attempt,
                    ok=a.ok,
                    detail=a.detail,
                    worker=a.worker,
                    finished_at=as_utc(a.finished_at),
                    finished_at_jst=jst_text(a.finished_at),
                )
                for a in attempts
            ],
        )


class Deliveries(Page[DeliveryOut]):
    pass


class OverdueOut(BaseModel):
    referral_id: str
    case_id: str
    case_number: str | None
    agency_id: str
    agency_name: str
    area: str
    urgency: str | None
    step: str
    step_label: str
    round: int
    due_at: datetime
    due_at_jst: str
    late_business_days: int = Field(description="business days begun since the deadline (the current one counts)")
    late_hours: float = Field(description="clock hours since the deadline")
    late: str = Field(description="how late, as people read it (営業日目 or 時間)")
    escalated_to: str | None = Field(description="the last rung fired: agency, coordinator or supervisor")


class OverdueCount(BaseModel):
    key: str = Field(description="agency id (by_agency) or area (by_area)")
    name: str
    n: int


class Overdue(Page[OverdueOut]):
    as_of: datetime
    as_of_jst: str
    count: int = Field(description="= total (kept for older clients)")
    by_agency: list[OverdueCount] = Field(description="every overdue referral in scope by agency, most first")
    by_area: list[OverdueCount] = Field(description="every overdue referral in scope by area, most first")


class FollowupOut(BaseModel):
    id: str
    step: str
    step_label: str
    round: int
    status: str
    due_at: datetime
    due_at_jst: str
    rungs_fired: int
    next_fire_at: datetime | None
    ended_at: datetime | None

    @classmethod
    def of(cls, row: Any) -> FollowupOut:
        return cls(
            id=row.id,
            step=row.step,
            step_label=STEP_LABELS.get(row.step, row.step),
            round=row.round,
            status=row.status,
            due_at=as_utc(row.due_at),
            due_at_jst=jst_text(row.due_at),
            rungs_fired=row.level,
            next_fire_at=_utc(row.next_fire_at),
            ended_at=_utc(row.ended_at),
        )


class Followups(BaseModel):
    referral_id: str
    area: str = Field(description="the daily-life area whose coordinators are escalated to")
    agency_id: str
    status: str = Field(description="the referral's last known state, as notify learnt it")
    items: list[FollowupOut]
