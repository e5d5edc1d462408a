"""Who is told what, and what each referral move does to its follow-ups."""

from __future__ import annotations

from services.notify.domain.delivery import channel_targets, retry_delay, sign, signature_valid
from services.notify.domain.routing import (
    SUPERVISOR,
    Notice,
    Recipient,
    addressed_person,
    agency,
    case_opened_notices,
    coordinator,
    escalation_notice,
    followup_effect,
    move_releases,
    opens_step,
    referral_notices,
    reporter,
)

A, AREA, REPORTERS = "hc-3", "中部", ["vol-1"]


def notices(event: str, status: str | None = None) -> list[Notice]:
    return referral_notices(event, agency_id=A, area=AREA, reporter_ids=REPORTERS, status=status)


def test_each_party_hears_what_it_must() -> None:
    assert notices("referral.requested") == [Notice(Recipient("agency", A), "referral_new")]
    assert notices("referral.received") == []
    assert notices("referral.acknowledged") == [Notice(Recipient("coordinator", AREA), "referral_acknowledged")]
    assert notices("referral.accepted") == [
        Notice(Recipient("coordinator", AREA), "referral_accepted"),
        Notice(Recipient("reporter", "vol-1"), "reporter_connected"),
    ]
    assert notices("referral.declined") == [Notice(Recipient("coordinator", AREA), "referral_declined")]
    assert notices("referral.status_changed", "completed") == [
        Notice(Recipient("coordinator", AREA), "referral_completed")
    ]
    assert notices("referral.status_changed", "cancelled") == [Notice(Recipient("agency", A), "referral_cancelled")]
    assert notices("referral.status_changed", "in_progress") == []


def test_urgent_case_reaches_the_area_coordinators_at_once() -> None:
    assert Notice(Recipient("coordinator", AREA), "urgent_case") in case_opened_notices(AREA, "緊急", REPORTERS)
    assert case_opened_notices(AREA, "通常", REPORTERS) == [
        Notice(Recipient("reporter", "vol-1"), "consultation_received")
    ]


def test_urgent_city_wide_case_reaches_every_area() -> None:
    found = case_opened_notices("市全域", "緊急", [], ("中部", "北東部", "南部", "西部"))
    assert [n.recipient.scope for n in found] == ["中部", "北東部", "南部", "西部"]
    assert {n.kind for n in found} == {"urgent_case"}


def test_escalation_ladder() -> None:
    assert escalation_notice(1, agency_id=A, area=AREA).recipient == Recipient("agency", A)
    assert escalation_notice(2, agency_id=A, area=AREA).recipient == Recipient("coordinator", AREA)
    assert escalation_notice(3, agency_id=A, area=AREA).recipient == SUPERVISOR


def test_handling_ends_the_right_steps() -> None:
    assert followup_effect("referral.requested").schedule == ("acknowledge", "decide")
    assert followup_effect("referral.acknowledged").handles == {"acknowledge"}
    accepted = followup_effect("referral.accepted")
    assert accepted.handles == {"acknowledge", "decide"} and accepted.schedule == ("progress",)
    assert followup_effect("referral.declined").closes
    assert followup_effect("referral.status_changed", "in_progress").progress_reported
    for status in ("completed", "failed", "cancelled"):
        effect = followup_effect("referral.status_changed", status)
        assert effect.closes and effect.handles == {"acknowledge", "decide", "progress"}


def test_a_late_request_does_not_restart_a_step_already_done() -> None:
    assert not opens_step("acknowledge", acknowledged=True, decided=False, closed=False)
    assert not opens_step("decide", acknowledged=True, decided=True, closed=False)
    assert opens_step("decide", acknowledged=True, decided=False, closed=False)
    assert not opens_step("progress", acknowledged=True, decided=True, closed=True)


def test_channels_backoff_and_signature() -> None:
    targets = channel_targets(["in_app", "email", "webhook"], "a@example.jp", None)
    assert [(t.channel, t.target) for t in targets] == [("email", "a@example.jp"), ("webhook", "")]
    assert [retry_delay(n, 1.0, 5.0).total_seconds() for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 5.0]
    body = b'{"a":1}'
    assert signature_valid("s3cret", body, sign("s3cret", body))
    assert not signature_valid("s3cret", body + b" ", sign("s3cret", body))
    assert not signature_valid("other", body, sign("s3cret", body))


def test_a_case_notification_goes_to_its_assigned_coordinator_else_the_area() -> None:
    assert addressed_person(coordinator("中部"), "csw-chubu-1") == "csw-chubu-1"
    assert addressed_person(coordinator("中部"), None) is None
    # Agencies, supervisors and reporters are addressed as a whole.
    assert addressed_person(agency("hc-3"), "csw-chubu-1") is None
    assert addressed_person(SUPERVISOR, "csw-chubu-1") is None
    assert addressed_person(reporter("vol-1"), "csw-chubu-1") is None


def test_a_move_releases_the_case_unless_it_was_given_there() -> None:
    assert move_releases("中部", "西部")
    assert not move_releases("中部", "中部")  # taken from the city-wide queue into their own area
