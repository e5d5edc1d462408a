"""The follow-up policy (shared/followups.py, reference/followups.yaml): the one model
referral, notify and case read, loaded and reloaded with the reference data."""

from __future__ import annotations

import copy
import shutil
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.calendar import BusinessCalendar
from shared.clock import JST, as_utc
from shared.followup_sections import DEFAULT_CALENDAR, SPAN_KEYS
from shared.followups import (
    FollowupPolicy,
    FollowupPolicyError,
    load_followup_policy,
)
from shared.reference import ReferenceDataError, ReloadableReference, load_reference_data
from shared.settings import PROJECT_ROOT
from shared.spans import Span

CITY_FILE = PROJECT_ROOT / "reference" / "followups.yaml"
CITY = yaml.safe_load(CITY_FILE.read_text(encoding="utf-8"))
POLICY = FollowupPolicy.from_mapping(CITY)
EVERY_SPAN = {key: {"business_days": 1} for key in SPAN_KEYS}


def jst(*args: int) -> datetime:
    return as_utc(datetime(*args, tzinfo=JST))


def city(**changes: Any) -> dict[str, Any]:
    raw = copy.deepcopy(CITY)
    raw.update(changes)
    return raw


def refused(raw: Any) -> str:
    with pytest.raises(FollowupPolicyError) as caught:
        FollowupPolicy.from_mapping(raw)
    return str(caught.value)


# The city's file ------------------------------------------------------------------------


def test_the_city_file_loads_with_its_sample_flag() -> None:
    policy = load_followup_policy(CITY_FILE)
    assert policy == POLICY and policy.sample is True
    assert policy.default.acknowledge == Span(business_days=1) and policy.default.decide == Span(business_days=3)
    assert policy.default.progress == Span(business_days=10)


def test_defaults_are_one_three_and_ten_business_days() -> None:
    d = POLICY.deadlines("地域包括支援センター", "通常")
    assert (d.acknowledge, d.decide, d.progress) == (
        Span(business_days=1),
        Span(business_days=3),
        Span(business_days=10),
    )
    assert d.for_step("decide") == Span(business_days=3)


def test_emergency_is_in_hours() -> None:
    d = POLICY.deadlines("地域包括支援センター", "緊急")
    assert d.acknowledge == Span(hours=4) and d.decide == Span(hours=24)
    assert d.escalate_to_coordinator == Span(hours=2)


# Precedence ----------------------------------------------------------------------------


def test_most_specific_wins_field_by_field() -> None:
    assert POLICY.deadlines("NPO", "通常").decide == Span(business_days=5)  # kind
    assert POLICY.deadlines("NPO", "高").decide == Span(business_days=2)  # urgency beats kind
    child = POLICY.deadlines("児童相談所", "高")
    assert child.acknowledge == Span(hours=24)  # kind + urgency
    assert child.decide == Span(business_days=2)  # urgency, kept beside it
    assert child.progress == Span(business_days=10)  # default, kept beside both
    assert POLICY.deadlines("unknown kind", None).acknowledge == Span(business_days=1)
    assert POLICY.deadlines(None, None) == POLICY.default


def test_every_layer_in_order() -> None:
    policy = FollowupPolicy.from_mapping(
        {
            "default": EVERY_SPAN,
            "agency_kinds": {
                "保健所": {
                    "acknowledge": {"business_days": 2},
                    "decide": {"business_days": 2},
                    "progress": {"business_days": 2},
                    "urgency": {"高": {"acknowledge": {"hours": 4}}},
                }
            },
            "urgency": {"高": {"acknowledge": {"business_days": 3}, "decide": {"business_days": 3}}},
        }
    )
    d = policy.deadlines("保健所", "高")
    assert d.acknowledge == Span(hours=4)  # kind + urgency beats urgency
    assert d.decide == Span(business_days=3)  # urgency beats kind
    assert d.progress == Span(business_days=2)  # kind beats default
    assert d.escalate_to_supervisor == Span(business_days=1)
    assert policy.deadlines("保健所", "通常").acknowledge == Span(business_days=2)
    assert policy.deadlines("NPO", "高").acknowledge == Span(business_days=3)


def test_due_counts_the_span_in_the_named_calendar() -> None:
    friday = jst(2026, 11, 20, 16)  # Monday 11/23 is a holiday
    assert POLICY.due(
        "acknowledge", friday, agency_kind="地域包括支援センター", urgency="通常", calendar="jp-public"
    ) == jst(2026, 11, 25, 0)
    assert POLICY.due("decide", friday, agency_kind="NPO", urgency="通常", calendar=None) == jst(2026, 12, 1, 0)
    assert POLICY.due("decide", friday, agency_kind="NPO", urgency="緊急", calendar=None) == jst(2026, 11, 21, 16)


# Calendars -----------------------------------------------------------------------------


def test_calendars_by_name_with_japan_public_always_there() -> None:
    policy = FollowupPolicy.from_mapping(
        {
            "default": EVERY_SPAN,
            "calendars": {
                "jp-public-sat": {"year_end_closure": None, "closed_days": [date(2026, 8, 14), "2026-08-13"]}
            },
        }
    )
    assert policy.has_calendar(DEFAULT_CALENDAR) and policy.has_calendar("jp-public-sat")
    assert not policy.has_calendar("jp-public-sun")
    assert policy.calendar(None) == BusinessCalendar() == policy.calendar("jp-public")
    special = policy.calendar("jp-public-sat")
    assert special.year_end_closure is None and special.closed_days == {date(2026, 8, 13), date(2026, 8, 14)}
    # Closed on Thursday 8/13 and Friday 8/14: one business day from Wednesday ends on Monday.
    assert policy.due(
        "acknowledge", jst(2026, 8, 12, 10), agency_kind=None, urgency=None, calendar="jp-public-sat"
    ) == jst(2026, 8, 18, 0)


def test_the_city_can_redefine_japan_public() -> None:
    policy = FollowupPolicy.from_mapping(
        {"default": EVERY_SPAN, "calendars": {"jp-public": {"year_end_closure": None}}}
    )
    assert policy.calendar(None).year_end_closure is None


def test_an_unknown_calendar_name_falls_back_to_japan_public() -> None:
    assert POLICY.calendar("no-such-calendar") == POLICY.calendar("jp-public")


def test_empty_sections_are_allowed() -> None:
    policy = FollowupPolicy.from_mapping(
        {"sample": False, "default": EVERY_SPAN, "calendars": None, "urgency": None, "agency_kinds": {"NPO": None}}
    )
    assert policy.deadlines("NPO", "高") == policy.default and policy.calendar(None) == BusinessCalendar()


def test_written_back_in_the_files_shape() -> None:
    dumped = POLICY.model_dump(exclude_none=True)
    assert dumped["default"]["decide"] == {"business_days": 3}
    assert dumped["urgency"]["緊急"]["acknowledge"] == {"hours": 4.0}
    assert dumped["calendars"]["jp-public"] == {
        "year_end_closure": {"from": "12-29", "to": "01-03"},
        "closed_days": [],
        "office_hours": {"from": "08:30", "to": "17:15"},
    }
    assert dumped["cases"]["urgency"]["緊急"]["assign"] == {"hours": 1.0}
    assert dumped["cases"]["assign"] == {"business_hours": 4.0}
    assert FollowupPolicy.from_mapping(dumped) == POLICY


# With the reference data ----------------------------------------------------------------


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    copied = tmp_path / "reference"
    shutil.copytree(PROJECT_ROOT / "reference", copied)
    return copied


def _write(path: Path, raw: dict[str, Any]) -> None:
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")


def test_the_reference_data_carries_the_policy(folder: Path) -> None:
    reference = load_reference_data(folder)
    assert reference.followups == POLICY
    assert all(reference.followups.has_calendar(agency.calendar) for agency in reference.agencies)


def test_a_bad_policy_stops_the_reference_data_naming_the_file(folder: Path) -> None:
    raw = city()
    raw["urgency"]["高"]["decide"] = {"business_days": 0}
    _write(folder / "followups.yaml", raw)
    with pytest.raises(ReferenceDataError, match=r"followups.yaml: urgency.高.decide: business_days must be"):
        load_reference_data(folder)
    (folder / "followups.yaml").unlink()
    with pytest.raises(ReferenceDataError, match="reference data file missing: .*followups.yaml"):
        load_reference_data(folder)


def test_an_agency_calendar_missing_from_the_policy_is_refused(folder: Path) -> None:
    agencies = folder / "agencies.yaml"
    agencies.write_text(
        agencies.read_text(encoding="utf-8").replace("calendar: jp-public", "calendar: jp-public-sat", 1),
        encoding="utf-8",
    )
    with pytest.raises(
        ReferenceDataError,
        match=r"calendar: 'jp-public-sat' is not defined in followups.yaml "
        r"\(calendars: jp-public\)",
    ):
        load_reference_data(folder)
    _write(folder / "followups.yaml", city(calendars={"jp-public-sat": {"closed_days": []}}))
    assert load_reference_data(folder).followups.has_calendar("jp-public-sat")


def test_a_reload_picks_up_a_changed_policy_and_keeps_it_when_the_edit_is_bad(folder: Path) -> None:
    reference = ReloadableReference(folder)
    assert reference.followups.deadlines("NPO", "通常").decide == Span(business_days=5)
    raw = city()
    raw["agency_kinds"]["NPO"]["decide"] = {"business_days": 4}
    _write(folder / "followups.yaml", raw)
    reference.reload()
    assert reference.followups.deadlines("NPO", "通常").decide == Span(business_days=4)
    assert reference.generation == 2

    raw["agency_kinds"]["NPO"]["decid"] = {"business_days": 6}
    _write(folder / "followups.yaml", raw)
    with pytest.raises(ReferenceDataError, match="agency_kinds.NPO: unknown key 'decid'"):
        reference.reload()
    assert reference.followups.deadlines("NPO", "通常").decide == Span(business_days=4)  # the good one stays


def test_another_policy_file_is_loaded_and_reloaded_the_same_way(folder: Path, tmp_path: Path) -> None:
    other = tmp_path / "fast-followups.yaml"
    _write(other, {"default": {key: {"hours": 0.5} for key in SPAN_KEYS}})
    reference = ReloadableReference(folder, followups_file=other)
    assert reference.followups.deadlines("NPO", "高").decide == Span(hours=0.5)
    _write(other, {"default": {key: {"hours": 1} for key in SPAN_KEYS}})
    reference.reload()
    assert reference.followups.deadlines("NPO", "高").decide == Span(hours=1)
    _write(other, {"default": {"decide": {"hours": 1}}})
    with pytest.raises(ReferenceDataError, match=f"^{other}: default: must set every one of"):
        reference.reload()
