"""A case's referral as each service keeps it: the case's view, the referral service's
record and transitions, notify's copy, its notifications and follow-ups."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shared.events.envelope import Actor
from shared.events.referral import (
    ReferralAccepted,
    ReferralAcknowledged,
    ReferralReceived,
    ReferralRequested,
    ReferralStatusChanged,
)

if TYPE_CHECKING:
    from bench.scale.story import Story, Teller, _Times

# An open case's referral stops somewhere along the loop; a closed case's completed.
OPEN_STOPS = ["received", "acknowledged", "accepted", "in_progress"]
LOOP = ["received", "acknowledged", "accepted", "in_progress", "completed"]


def referral_rows(
    teller: Teller, story: Story, case: dict[str, Any], me: Actor, t: _Times, urgency: str, closed: bool
) -> None:
    from bench.scale.story import ulid_at

    rng = teller.rng
    agency = rng.choice(teller.agencies)
    staff = Actor(role="agency", id=f"{agency.id}-staff")
    case_id, area = story.case_id, case["area"]
    at = t.next(2)
    referral_id = ulid_at(at, rng)
    shared = {"age_group": case["person"].get("age_group"), "categories": case["categories"]}
    requested = teller._event(
        story,
        ReferralRequested(
            referral_id=referral_id,
            case_id=case_id,
            case_number=case["case_number"],
            area=area,
            agency_id=agency.id,
            purpose="見守りと生活支援の相談",
            urgency=urgency,
            shared=shared,
            consent=case["consent"],
        ),
        referral_id,
        me,
        at,
    )
    teller._notify(story, requested, "referral_new", "agency", agency.id, referral_id=referral_id)
    stop = "completed" if closed else rng.choice(OPEN_STOPS)
    moves: dict[str, Any] = {"requested": at}
    version = 0
    transitions = []
    previous = "requested"
    for status in LOOP[: LOOP.index(stop) + 1]:
        at = t.next(0.5 if status != "completed" else 3)
        version += 1
        payload = {
            "referral_id": referral_id,
            "case_id": case_id,
            "agency_id": agency.id,
            "area": area,
            "version": version,
        }
        if status == "received":
            event = teller._event(
                story, ReferralReceived(**payload, agency_kind=agency.kind, urgency=urgency), referral_id, staff, at
            )
        elif status == "acknowledged":
            event = teller._event(story, ReferralAcknowledged(**payload), referral_id, staff, at)
        elif status == "accepted":
            event = teller._event(story, ReferralAccepted(**payload), referral_id, staff, at)
            teller._notify(story, event, "referral_accepted", "coordinator", area, referral_id=referral_id)
        else:
            event = teller._event(
                story, ReferralStatusChanged(**payload, status=status, action=status), referral_id, staff, at
            )
        moves[status] = at
        transitions.append(
            {
                "referral_id": referral_id,
                "version": version,
                "action": status,
                "from_status": previous,
                "to_status": status,
                "actor_role": "agency",
                "actor_id": staff.id,
                "at": at,
                "event_id": event.event_id,
            }
        )
        previous = status
    decided = moves.get("accepted")
    story.add(
        "case",
        "referrals",
        {
            "id": referral_id,
            "case_id": case_id,
            "agency_id": agency.id,
            "purpose": "見守りと生活支援の相談",
            "shared_fields": ["age_group", "categories"],
            "urgency": urgency,
            "status": stop,
            "status_event_id": story.events[-1].event_id,
            "requested_by": me.id,
            "requested_at": moves["requested"],
            "received_at": moves.get("received"),
            "acknowledged_at": moves.get("acknowledged"),
            "accepted_at": decided,
            "declined_at": None,
            "decline_reason": None,
            "needs_attention": False,
            "last_followup": None,
            "updated_at": at,
        },
    )
    case["first_handoff_at"] = decided
    story.add(
        "referral",
        "referrals",
        {
            "id": referral_id,
            "case_id": case_id,
            "case_number": case["case_number"],
            "area": area,
            "agency_id": agency.id,
            "purpose": "見守りと生活支援の相談",
            "urgency": urgency,
            "consent": case["consent"],
            "legal_ground": None,
            "shared": shared,
            "withheld": [],
            "status": stop,
            "version": version,
            "requested_at": moves["requested"],
            "received_at": moves["received"],
            "updated_at": at,
            "acknowledge_by": None,
            "decide_by": None,
            "acknowledged_at": moves.get("acknowledged"),
            "decided_at": decided,
            "closed_at": moves.get("completed"),
            "reason": None,
            "note": None,
            "request_event_id": requested.event_id,
            "requested_by": me.id,
        },
    )
    for row in transitions:
        story.add("referral", "referral_transitions", row)
    story.add(
        "notify",
        "referrals",
        {
            "referral_id": referral_id,
            "case_id": case_id,
            "case_number": case["case_number"],
            "area": area,
            "agency_id": agency.id,
            "agency_kind": agency.kind,
            "urgency": urgency,
            "correlation_id": case_id,
            "status": stop,
            "requested_at": moves["requested"],
            "acknowledged_at": moves.get("acknowledged"),
            "decided_at": decided,
            "closed_at": moves.get("completed"),
            "updated_at": at,
        },
    )
    step, started = ("decide", moves["received"]) if decided is None else ("progress", decided)
    pending = stop in ("received", "acknowledged")
    story.add(
        "notify",
        "followups",
        {
            "id": ulid_at(started, rng),
            "referral_id": referral_id,
            "case_id": case_id,
            "agency_id": agency.id,
            "agency_kind": agency.kind,
            "area": area,
            "urgency": urgency,
            "calendar": agency.calendar,
            "correlation_id": case_id,
            "step": step,
            "round": 1,
            "started_at": started,
            "due_at": started + (at - started) / 2 if not pending else started.replace(microsecond=0) + _span(urgency),
            "level": 0,
            "next_fire_at": None,
            "status": "pending" if pending else "done",
            "last_fired_at": None,
            "fired_by": None,
            "ended_at": None if pending else at,
            "ended_by_event": None if pending else requested.event_id,
        },
    )


def _span(urgency: str) -> Any:
    from datetime import timedelta

    return timedelta(days={"緊急": 1, "高": 3}.get(urgency, 5))
