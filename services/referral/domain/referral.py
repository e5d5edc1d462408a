"""The referral aggregate: arrives in an agency's inbox, then moves through its
lifecycle one guarded step at a time. No I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from services.referral.domain.deadlines import ResponseDeadlines
from services.referral.domain.lifecycle import (
    AWAITING_AGENCY,
    TERMINAL,
    Action,
    Party,
    Status,
    next_status,
    party_for,
)
from services.referral.domain.sharing import shareable_part, without_personal_data


@dataclass(frozen=True)
class Referral:
    id: str
    case_id: str
    case_number: str
    area: str
    agency_id: str
    purpose: str
    urgency: str
    consent: str
    legal_ground: str | None
    shared: Mapping[str, Any]
    withheld: tuple[str, ...]
    status: Status
    version: int
    requested_at: datetime
    received_at: datetime
    updated_at: datetime
    acknowledge_by: datetime | None = None
    decide_by: datetime | None = None
    acknowledged_at: datetime | None = None
    decided_at: datetime | None = None
    closed_at: datetime | None = None
    reason: str | None = None
    note: str | None = None
    # The coordinator who asked (the agency calls them back); unknown for old referrals.
    requested_by: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status not in TERMINAL

    def next_deadline(self) -> datetime | None:
        """What the agency must do next, by when: acknowledge, then decide."""
        if self.status == Status.RECEIVED:
            return self.acknowledge_by
        if self.status == Status.ACKNOWLEDGED:
            return self.decide_by
        return None

    def overdue_since(self, now: datetime) -> datetime | None:
        due = self.next_deadline()
        return due if due is not None and now > due else None


@dataclass(frozen=True)
class Transition:
    action: Action
    from_status: Status
    to_status: Status
    version: int  # the referral's version after the move
    at: datetime
    reason: str | None = None
    note: str | None = None


class NotYourMove(Exception):
    def __init__(self, action: Action, party: Party | None) -> None:
        self.action = action
        self.party = party
        super().__init__(action.value)


class StaleVersion(Exception):
    def __init__(self, current_version: int) -> None:
        self.current_version = current_version
        super().__init__(f"stale version; current is {current_version}")


@dataclass(frozen=True)
class ReferralRequest:
    """What the case service asked for (``referral.requested``)."""

    id: str
    case_id: str
    case_number: str
    area: str
    agency_id: str
    purpose: str
    urgency: str
    offered: Mapping[str, Any]
    consent: str
    legal_ground: str | None
    requested_at: datetime
    requested_by: str | None = None


UNKNOWN_AGENCY_REASON = "紹介先機関「{agency_id}」は機関名簿(reference/agencies.yaml)に登録されていません。"


def arrive(request: ReferralRequest, deadlines: ResponseDeadlines | None, at: datetime) -> tuple[Referral, Transition]:
    """Put a requested referral in its agency's inbox, with the agency's response
    deadlines. ``deadlines`` is None when the agency is not in the directory: the
    referral is then recorded as failed, never dropped."""
    shared = shareable_part(request.offered, request.consent, request.legal_ground)
    base = Referral(
        id=request.id,
        case_id=request.case_id,
        case_number=request.case_number,
        area=request.area,
        agency_id=request.agency_id,
        purpose=request.purpose,
        urgency=request.urgency,
        consent=request.consent,
        legal_ground=request.legal_ground,
        shared=shared.fields,
        withheld=shared.withheld,
        status=Status.REQUESTED,
        version=0,
        requested_at=request.requested_at,
        received_at=at,
        updated_at=at,
        requested_by=request.requested_by,
    )
    if deadlines is None:
        reason = UNKNOWN_AGENCY_REASON.format(agency_id=request.agency_id)
        return _apply(base, Action.UNDELIVERABLE, at, reason=reason)
    base = replace(base, acknowledge_by=deadlines.acknowledge_by, decide_by=deadlines.decide_by)
    return _apply(base, Action.DELIVER, at)


def move(
    referral: Referral,
    action: Action,
    party: Party | None,
    *,
    expected_version: int,
    at: datetime,
    reason: str | None = None,
    note: str | None = None,
) -> tuple[Referral, Transition]:
    """One move by a caller acting as ``party``. Checks, in order: that it is that
    party's move, that the caller saw the current version, that the move is legal
    from the current state, and that a reason is given where one is required."""
    if party is None or party_for(action) != party:
        raise NotYourMove(action, party)
    if expected_version != referral.version:
        raise StaleVersion(referral.version)
    return _apply(referral, action, at, reason=reason, note=note)


def _apply(
    referral: Referral, action: Action, at: datetime, *, reason: str | None = None, note: str | None = None
) -> tuple[Referral, Transition]:
    reason = reason.strip() if reason and reason.strip() else None
    note = note.strip() if note and note.strip() else None
    to = next_status(referral.status, action, reason)
    changes: dict[str, Any] = {"status": to, "version": referral.version + 1, "updated_at": at}
    takes_up = action in (Action.ACKNOWLEDGE, Action.ACCEPT, Action.DECLINE)
    if takes_up and referral.acknowledged_at is None:
        changes["acknowledged_at"] = at  # accepting or declining implies it was opened
    if action in (Action.ACCEPT, Action.DECLINE) and referral.status in AWAITING_AGENCY:
        changes["decided_at"] = at
    if to in TERMINAL:
        changes["closed_at"] = at
    if reason is not None:
        changes["reason"] = reason
    if note is not None:
        changes["note"] = note
    moved = replace(referral, **changes)
    return moved, Transition(
        action=action, from_status=referral.status, to_status=to, version=moved.version, at=at, reason=reason, note=note
    )


def withdraw_personal_data(referral: Referral, consent: str, at: datetime) -> Referral | None:
    """Consent withdrawn, no legal ground: the agency keeps nothing personal — open or
    closed referral alike. None when there was nothing personal to remove."""
    narrowed = without_personal_data(referral.shared, referral.withheld)
    if narrowed.fields == dict(referral.shared):
        return None
    return replace(
        referral, shared=narrowed.fields, withheld=narrowed.withheld, consent=consent, legal_ground=None, updated_at=at
    )
