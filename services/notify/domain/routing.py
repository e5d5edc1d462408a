"""Who must know what — the person responsible where there is one — and what a
referral move does to its follow-ups. Pure rules: the handlers supply the facts, these decide."""

from __future__ import annotations

from dataclasses import dataclass

from shared.followup_sections import Step

URGENT = "緊急"
SUPERVISOR_SCOPE = "city"


@dataclass(frozen=True)
class Recipient:
    role: str
    scope: str

    def __str__(self) -> str:
        return f"{self.role}:{self.scope}"


def agency(agency_id: str) -> Recipient:
    return Recipient("agency", agency_id)


def coordinator(area: str) -> Recipient:
    return Recipient("coordinator", area)


def reporter(reporter_id: str) -> Recipient:
    return Recipient("reporter", reporter_id)


SUPERVISOR = Recipient("supervisor", SUPERVISOR_SCOPE)


def addressed_person(recipient: Recipient, assignee: str | None) -> str | None:
    """The person a notification about a case goes to: the coordinator it is assigned to.
    While it is unassigned, every coordinator of its area (None); an agency's staff, the
    supervisors and a reporter are addressed as a whole, as before."""
    return assignee if recipient.role == "coordinator" else None


def move_releases(assigned_area: str | None, to_area: str) -> bool:
    """A case moved to another area's queue loses its coordinator — unless they were given
    it in that area (taking a case from the city-wide queue moves it to their own area in
    the same step, and the two events may be applied in either order)."""
    return assigned_area != to_area


@dataclass(frozen=True)
class Notice:
    """One notification to record: whom, and which template (kind)."""

    recipient: Recipient
    kind: str


CITY_WIDE = "市全域"


def case_opened_notices(
    area: str, urgency: str, reporter_ids: list[str], all_areas: tuple[str, ...] = ()
) -> list[Notice]:
    """The reporter hears the consultation was received; an urgent (緊急) case goes to
    its area's coordinators at once — to every area's when it waits in the city-wide
    queue (any coordinator may take it from there)."""
    notices = [Notice(reporter(r), "consultation_received") for r in reporter_ids]
    if urgency == URGENT:
        areas = all_areas if area == CITY_WIDE and all_areas else (area,)
        notices.extend(Notice(coordinator(a), "urgent_case") for a in areas)
    return notices


def referral_notices(
    event_type: str, *, agency_id: str, area: str, reporter_ids: list[str], status: str | None = None
) -> list[Notice]:
    """Notifications for one referral event. Reporters only ever learn the stage."""
    if event_type == "referral.requested":
        return [Notice(agency(agency_id), "referral_new")]
    if event_type == "referral.acknowledged":
        return [Notice(coordinator(area), "referral_acknowledged")]
    if event_type == "referral.accepted":
        return [
            Notice(coordinator(area), "referral_accepted"),
            *(Notice(reporter(r), "reporter_connected") for r in reporter_ids),
        ]
    if event_type == "referral.declined":
        return [Notice(coordinator(area), "referral_declined")]
    if event_type == "referral.status_changed":
        by_status = {
            "completed": [Notice(coordinator(area), "referral_completed")],
            "failed": [Notice(coordinator(area), "referral_failed")],
            "on_hold": [Notice(coordinator(area), "referral_on_hold")],
            "cancelled": [Notice(agency(agency_id), "referral_cancelled")],
        }
        return by_status.get(status or "", [])
    return []  # referral.received: the agency was told at the request


def escalation_notice(rung: int, *, agency_id: str, area: str) -> Notice:
    """Rung 1 reminds the agency; 2 escalates to the area's coordinator; 3 to the supervisor."""
    if rung == 1:
        return Notice(agency(agency_id), "followup_reminder")
    if rung == 2:
        return Notice(coordinator(area), "followup_escalation")
    if rung == 3:
        return Notice(SUPERVISOR, "followup_escalation_supervisor")
    raise ValueError(f"no escalation rung {rung}")


# 見守り (watch plans) ---------------------------------------------------------------
CHECKIN = "checkin"  # the follow-up step of a watch plan's next check-in


def watcher(kind: str | None, watcher_id: str, area: str) -> Recipient:
    """Whom a watch plan's reminder goes to: the watching agency, the community helper
    (their account), or — the coordinator watching — the area's coordinators (addressed
    to the case's coordinator)."""
    if kind == "agency":
        return agency(watcher_id)
    if kind == "helper":
        return helper(watcher_id)
    return coordinator(area)


def watch_escalation_notice(
    rung: int, *, watcher_kind: str | None, watcher_id: str, area: str, kind: str = "watch"
) -> Notice:
    """The same ladder as a referral's: rung 1 reminds the watcher (or a conference
    task's owner: ``kind`` "task"), 2 the area's coordinator, 3 the supervisor."""
    if rung == 1:
        recipient = watcher(watcher_kind, watcher_id, area)
        return Notice(recipient, f"{kind}_reminder_{recipient.role}")
    if rung == 2:
        return Notice(coordinator(area), f"{kind}_escalation")
    if rung == 3:
        return Notice(SUPERVISOR, f"{kind}_escalation_supervisor")
    raise ValueError(f"no escalation rung {rung}")


# Community helpers' tasks --------------------------------------------------------------
HELPER_TASK = "helper_task"  # the follow-up step of a helper's task with a due day


def helper(account_id: str) -> Recipient:
    """A community helper, addressed by their account (their inbox is theirs alone)."""
    return Recipient("helper", account_id)


def helper_task_escalation_notice(rung: int, *, helper_id: str, area: str) -> Notice:
    """A task past its due day: rung 1 reminds the helper, 2 the area's coordinator, 3 the supervisor."""
    if rung == 1:
        return Notice(helper(helper_id), "helper_task_reminder")
    if rung == 2:
        return Notice(coordinator(area), "helper_task_escalation")
    if rung == 3:
        return Notice(SUPERVISOR, "helper_task_escalation_supervisor")
    raise ValueError(f"no escalation rung {rung}")


def helper_task_notices(event_type: str, *, helper_id: str, area: str) -> list[Notice]:
    """Who hears of a task's move: the helper of a new or withdrawn task, the area's
    coordinators (addressed to the case's) of a declined one."""
    if event_type == "case.helper_task_assigned":
        return [Notice(helper(helper_id), "helper_task_new")]
    if event_type == "case.helper_task_cancelled":
        return [Notice(helper(helper_id), "helper_task_cancelled")]
    if event_type == "case.helper_task_declined":
        return [Notice(coordinator(area), "helper_task_declined")]
    return []


def checkin_notices(outcome: str, area: str, all_areas: tuple[str, ...] = ()) -> list[Notice]:
    """A check-in that found a change (気になる変化) alerts the area's coordinators at
    once; an emergency (緊急) is told like an urgent consultation (every area's while
    the case waits in the city-wide queue). 変わりなし tells no one."""
    if outcome == "気になる変化":
        return [Notice(coordinator(area), "watch_concern")]
    if outcome == URGENT:
        areas = all_areas if area == CITY_WIDE and all_areas else (area,)
        return [Notice(coordinator(a), "watch_urgent") for a in areas]
    return []


# Nothing left untriaged: a case's own timers --------------------------------------
ASSIGN = "assign"  # waiting for a coordinator to take it (from intake's receipt)
CONTACT = "contact"  # assigned, waiting for the first contact (from the assignment)
CASE_STEPS = (ASSIGN, CONTACT)


def case_escalation_notices(step: str, rung: int, area: str, all_areas: tuple[str, ...] = ()) -> list[Notice]:
    """An unassigned case: rung 1 reminds the area's coordinators (every area's while it
    waits in the city-wide queue), rung 2 the supervisor. An uncontacted case: rung 1
    reminds its coordinator (the area's coordinators, addressed to the assignee)."""
    if step == ASSIGN and rung == 1:
        areas = all_areas if area == CITY_WIDE and all_areas else (area,)
        return [Notice(coordinator(a), "case_unassigned_reminder") for a in areas]
    if step == ASSIGN and rung == 2:
        return [Notice(SUPERVISOR, "case_unassigned_escalation_supervisor")]
    if step == CONTACT and rung == 1:
        return [Notice(coordinator(area), "case_contact_reminder")]
    raise ValueError(f"no rung {rung} for a case's {step}")


def decision_notice(area: str) -> Notice:
    """Every referral of the case ended: its coordinator decides the next step."""
    return Notice(coordinator(area), "case_decision_needed")


@dataclass(frozen=True)
class FollowupEffect:
    """What a referral move does to its timers."""

    handles: frozenset[Step] = frozenset()  # pending timers of these steps are done
    schedule: tuple[Step, ...] = ()  # start these steps (if not already there)
    progress_reported: bool = False  # a progress report: start the next round
    closes: bool = False  # the referral is over: nothing more to follow


_ALL: frozenset[Step] = frozenset({"acknowledge", "decide", "progress"})
_OPENING: frozenset[Step] = frozenset({"acknowledge", "decide"})


def followup_effect(event_type: str, status: str | None = None) -> FollowupEffect:
    if event_type in ("referral.requested", "referral.received"):
        return FollowupEffect(schedule=("acknowledge", "decide"))
    if event_type == "referral.acknowledged":
        return FollowupEffect(handles=frozenset({"acknowledge"}))
    if event_type == "referral.accepted":
        return FollowupEffect(handles=_OPENING, schedule=("progress",))
    if event_type == "referral.declined":
        return FollowupEffect(handles=_ALL, closes=True)
    if event_type == "referral.status_changed":
        if status in ("in_progress", "on_hold"):
            return FollowupEffect(handles=_OPENING, progress_reported=True)
        if status in ("completed", "failed", "cancelled"):
            return FollowupEffect(handles=_ALL, closes=True)
    return FollowupEffect()


def opens_step(step: Step, *, acknowledged: bool, decided: bool, closed: bool) -> bool:
    """Whether a step may still be scheduled, given what is already known (events of
    one referral can arrive out of order: a late ``requested`` must not start a timer
    for a step the agency has already done)."""
    if closed:
        return False
    if step == "acknowledge":
        return not acknowledged and not decided
    if step == "decide":
        return not decided
    return True
