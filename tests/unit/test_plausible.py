"""The plausible-data rules (shared/plausible.py) on their own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import BaseModel, ValidationError

from shared.clock import JST
from shared.errors import InvalidInput
from shared.plausible import FUTURE_SKEW, FreeText, RecordedTime, check_age_group, check_moment
from shared.reference import load_reference_data
from shared.settings import PROJECT_ROOT

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


class Record(BaseModel):
    text: FreeText
    at: RecordedTime | None = None


@pytest.mark.parametrize("blank", [" ", "\u3000", "\n\t ", "\r\n"])
def test_free_text_of_blanks_is_refused(blank: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Record(text=blank)
    assert refused.value.errors()[0]["type"] == "blank"
    assert Record(text=" 本人と話せた ").text == " 本人と話せた "


def test_control_characters_are_still_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        Record(text="a\x00b")
    assert refused.value.errors()[0]["type"] == "control_character"


def test_recorded_times_start_at_the_epoch_and_are_japan_time_without_a_zone() -> None:
    with pytest.raises(ValidationError) as refused:
        Record(text="x", at="0001-01-01T00:00:00Z")  # type: ignore[arg-type]
    assert refused.value.errors()[0]["type"] == "date_too_early"
    assert "2000年01月01日" in refused.value.errors()[0]["msg"]
    naive = Record(text="x", at="2026-12-03T11:00")  # type: ignore[arg-type]
    assert naive.at == datetime(2026, 12, 3, 11, 0, tzinfo=JST)


def test_a_moment_is_not_in_the_future_beyond_the_skew_nor_before_its_floor() -> None:
    assert check_moment(NOW + FUTURE_SKEW, now=NOW, field="at") == NOW + FUTURE_SKEW
    with pytest.raises(InvalidInput) as future:
        check_moment(NOW + FUTURE_SKEW + timedelta(seconds=1), now=NOW, field="contacted_at")
    assert future.value.field == "contacted_at" and "未来" in future.value.message
    floor = NOW - timedelta(days=1)
    assert check_moment(floor, now=NOW, field="at", floor=floor) == floor
    with pytest.raises(InvalidInput) as early:
        check_moment(floor - timedelta(seconds=1), now=NOW, field="at", floor=floor, floor_label="ケースの受付")
    assert "ケースの受付" in early.value.message


def test_age_groups_come_from_the_reference_data() -> None:
    reference = load_reference_data(PROJECT_ROOT / "reference")
    check_age_group(None, reference, "age_group")
    check_age_group("80代", reference, "age_group")
    with pytest.raises(InvalidInput) as odd:
        check_age_group("999代", reference, "person.age_group")
    assert odd.value.field == "person.age_group" and "100歳以上" in odd.value.message
