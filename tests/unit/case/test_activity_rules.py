"""Activities (活動): every refusal of the rules — kind, outcome, participants, place,
a case that cannot be worked, 同行 without a case, another area's activity, and times
the plausibility rules refuse."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.case.domain import activities as rules
from services.case.domain.moves import CaseState
from shared.errors import Conflict, Forbidden, InvalidInput
from shared.events.watch import ACTIVITY_KINDS, ACTIVITY_OUTCOMES
from shared.plausible import FUTURE_SKEW, check_moment

AGENCIES = frozenset({"AG-HOKATSU-1", "AG-KOSODATE"})
DISTRICTS = {"SD01": "北東部", "SD07": "中部"}


@pytest.mark.parametrize("kind", ACTIVITY_KINDS)
def test_every_kind_and_outcome_of_the_lists_is_accepted(kind: str) -> None:
    rules.check_kind(kind)
    for outcome in ACTIVITY_OUTCOMES:
        rules.check_outcome(outcome)


def test_an_unknown_kind_or_outcome_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInput) as kind:
        rules.check_kind("宴会")
    assert kind.value.field == "kind"
    with pytest.raises(InvalidInput) as outcome:
        rules.check_outcome("たぶん")
    assert outcome.value.field == "outcome_kind"


def test_participants_by_id_and_a_number_of_residents_are_accepted() -> None:
    who = rules.Participants(("coord-chubu-1", "helper-7"), ("AG-KOSODATE",), 12)
    assert who.check(AGENCIES) is who
    assert rules.Participants().check(AGENCIES).residents == 0


@pytest.mark.parametrize(
    ("participants", "field"),
    [
        (rules.Participants(agency_ids=("AG-NOWHERE",)), "agency_ids"),
        (rules.Participants(account_ids=("a", "a")), "account_ids"),
        (rules.Participants(agency_ids=("AG-KOSODATE", "AG-KOSODATE")), "agency_ids"),
        (rules.Participants(account_ids=(" ",)), "account_ids"),
        (rules.Participants(account_ids=tuple(f"a{i}" for i in range(rules.MAX_PARTICIPANT_IDS + 1))), "account_ids"),
        (rules.Participants(residents=-1), "residents"),
        (rules.Participants(residents=rules.MAX_RESIDENTS + 1), "residents"),
    ],
)
def test_participants_the_rules_refuse(participants: rules.Participants, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        participants.check(AGENCIES)
    assert refused.value.field == field


def test_the_place_is_a_school_district_of_the_reference_data() -> None:
    assert rules.district_area("SD07", DISTRICTS, required=True) == "中部"
    assert rules.district_area(None, DISTRICTS, required=False) is None
    for district, required in (("SD99", False), (None, True)):
        with pytest.raises(InvalidInput) as refused:
            rules.district_area(district, DISTRICTS, required=required)
        assert refused.value.field == "school_district"


@pytest.mark.parametrize(
    "state",
    [
        CaseState(status="対応中", assigned=True, merged_into="01CASEINTO", version=4),
        CaseState(status="終結", assigned=True, merged_into=None, version=4),
    ],
)
def test_no_activity_on_a_merged_or_closed_case(state: CaseState) -> None:
    with pytest.raises(Conflict):
        rules.check_on_case(state)


@pytest.mark.parametrize("status", ["受付", "対応中", "つなぎ中", "見守り"])
def test_an_activity_on_any_open_case_even_unassigned(status: str) -> None:
    rules.check_on_case(CaseState(status=status, assigned=False, merged_into=None, version=1))


def test_accompaniment_needs_a_case_every_other_kind_may_be_for_an_area() -> None:
    with pytest.raises(InvalidInput) as refused:
        rules.check_for_area("同行")
    assert refused.value.field == "kind"
    for kind in set(ACTIVITY_KINDS) - rules.NEEDS_CASE:
        rules.check_for_area(kind)


def test_a_coordinator_logs_only_their_own_areas_activities() -> None:
    rules.check_recorder_area("coordinator", "中部", "中部")
    with pytest.raises(Forbidden):
        rules.check_recorder_area("coordinator", "中部", "西部")


def test_an_activity_time_in_the_future_or_before_the_case_is_refused() -> None:
    now = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
    opened = now - timedelta(days=3)
    assert check_moment(now - timedelta(days=1), now=now, field="happened_at", floor=opened) == now - timedelta(days=1)
    for when, floor in ((now + FUTURE_SKEW + timedelta(seconds=1), None), (opened - timedelta(minutes=1), opened)):
        with pytest.raises(InvalidInput) as refused:
            check_moment(when, now=now, field="happened_at", floor=floor, floor_label="ケースの受付")
        assert refused.value.field == "happened_at"
