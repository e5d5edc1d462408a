"""The follow-up policy file when it is wrong (shared/followups.py): what a city
administrator is told — the file, the path of the bad key, what to write instead."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.followup_sections import SPAN_KEYS
from shared.followups import (
    FollowupPolicy,
    FollowupPolicyError,
    load_followup_policy,
)
from shared.settings import PROJECT_ROOT

CITY_FILE = PROJECT_ROOT / "reference" / "followups.yaml"
CITY = yaml.safe_load(CITY_FILE.read_text(encoding="utf-8"))
EVERY_SPAN = {key: {"business_days": 1} for key in SPAN_KEYS}


def city(**changes: Any) -> dict[str, Any]:
    raw = copy.deepcopy(CITY)
    raw.update(changes)
    return raw


def refused(raw: Any) -> str:
    with pytest.raises(FollowupPolicyError) as caught:
        FollowupPolicy.from_mapping(raw)
    return str(caught.value)


def test_an_unknown_section_is_named_with_what_is_allowed() -> None:
    message = refused(city(escalation={"hours": 1}))
    assert message == (
        "followups.yaml: unknown section 'escalation'; "
        "allowed here: sample, calendars, default, urgency, agency_kinds, watch, cases, helper_tasks, approvals, "
        "conference_tasks"
    )


def test_a_misspelt_key_is_named_where_it_is_with_the_likely_one() -> None:
    raw = city()
    raw["urgency"]["緊急"]["acknowlege"] = {"hours": 1}
    message = refused(raw)
    assert message.startswith("followups.yaml: urgency.緊急: unknown key 'acknowlege' (did you mean 'acknowledge'?)")
    assert "allowed here: acknowledge, decide, progress, escalate_to_coordinator, escalate_to_supervisor" in message


def test_an_unknown_key_under_an_agency_kind_names_the_kind() -> None:
    raw = city()
    raw["agency_kinds"]["NPO"]["urgncy"] = {}
    raw["agency_kinds"]["児童相談所"]["urgency"]["高"]["reply"] = {"hours": 1}
    message = refused(raw)
    assert "followups.yaml: agency_kinds.NPO: unknown key 'urgncy' (did you mean 'urgency'?)" in message
    assert "followups.yaml: agency_kinds.児童相談所.urgency.高: unknown key 'reply'" in message
    assert len(message.splitlines()) == 2  # every problem at once, one line each


def test_an_unknown_urgency_is_refused() -> None:
    raw = city()
    raw["urgency"]["至急"] = {"decide": {"hours": 8}}
    assert refused(raw) == "followups.yaml: urgency: unknown urgency '至急'; the urgencies are 緊急, 高, 通常"


def test_the_default_must_set_every_span() -> None:
    message = refused(city(default={"acknowledge": {"business_days": 1}}))
    assert message == (
        "followups.yaml: default: must set every one of acknowledge, decide, progress, "
        "escalate_to_coordinator, escalate_to_supervisor "
        "(missing: decide, progress, escalate_to_coordinator, escalate_to_supervisor)"
    )
    assert "default: must set every one of" in refused(city(default=None))
    without = city()
    del without["default"]
    assert refused(without).startswith("followups.yaml: default: missing: the default must set every one of")


@pytest.mark.parametrize(
    "span, says",
    [
        ({"business_days": 0}, "business_days must be an integer ≥ 1, got 0"),
        ({"business_days": 1.5}, "business_days must be an integer ≥ 1, got 1.5"),
        ({"business_days": True}, "business_days must be an integer ≥ 1, got True"),
        ({"hours": -1}, "hours must be a number > 0, got -1"),
        ({"hours": "4"}, "hours must be a number > 0, got '4'"),
        (
            {"days": 1},
            "'days' is not a span: write {business_days: N} (integer ≥ 1), {hours: H} or {business_hours: H} (> 0)",
        ),
        ({"business_days": 1, "hours": 4}, "expected {business_days: N}, {hours: H} or {business_hours: H}"),
        (3, "expected {business_days: N}, {hours: H} or {business_hours: H}, got 3"),
    ],
)
def test_a_bad_span_says_where_and_what_to_write(span: Any, says: str) -> None:
    raw = city()
    raw["agency_kinds"]["NPO"]["decide"] = span
    assert refused(raw).startswith(f"followups.yaml: agency_kinds.NPO.decide: {says}")


def test_a_span_left_empty_in_the_default_is_refused() -> None:
    assert refused(city(default={**EVERY_SPAN, "progress": None})).startswith(
        "followups.yaml: default.progress: expected {business_days: N}, {hours: H} or {business_hours: H}, got None"
    )


@pytest.mark.parametrize(
    "calendar, says",
    [
        ({"year_end_closure": "always"}, "year_end_closure must be {from: MM-DD, to: MM-DD} or null"),
        ({"year_end_closure": {"from": "12-32", "to": "01-03"}}, "not a month-day like 12-29: '12-32'"),
        ({"closed_days": ["2026-13-01"]}, "closed_days: not a date like 2026-08-14: '2026-13-01'"),
        ({"closed_days": "2026-08-14"}, "closed_days must be a list of dates like [2026-08-14], got '2026-08-14'"),
        ({"weekends": ["sat"]}, "unknown calendar settings: ['weekends']"),
        ("jp", "expected the calendar's settings (year_end_closure, closed_days), got 'jp'"),
    ],
)
def test_a_bad_calendar_is_refused(calendar: Any, says: str) -> None:
    assert refused(city(calendars={"city-office": calendar})) == f"followups.yaml: calendars.city-office: {says}"


def test_other_shapes_are_refused_plainly() -> None:
    assert refused(None).startswith("followups.yaml: expected the sections sample, calendars, default")
    assert refused(city(sample="maybe")) == "followups.yaml: sample: must be true or false, got 'maybe'"
    assert refused(city(urgency=["緊急"])).startswith("followups.yaml: urgency: expected indented `key: value` lines")


def test_a_file_is_named_by_its_path(tmp_path: Path) -> None:
    path = tmp_path / "followups.yaml"
    with pytest.raises(FollowupPolicyError, match="reference data file missing: .*followups.yaml"):
        load_followup_policy(path)
    path.write_text("default: [oops", encoding="utf-8")
    with pytest.raises(FollowupPolicyError, match=f"{path}: not valid YAML"):
        load_followup_policy(path)
    path.write_text(yaml.safe_dump({"default": {"acknowledge": {"business_days": 1}}}), encoding="utf-8")
    with pytest.raises(FollowupPolicyError, match=f"^{path}: default: must set every one of"):
        load_followup_policy(path)
