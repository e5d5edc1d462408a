"""Intake's rules: the furigana a reporter may give, and the times a reporter sees."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.intake.domain.consultation import ReporterView, check_name_kana, normalise_reference
from shared.errors import InvalidInput


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("さんぷる たろう", "さんぷる たろう"),
        ("サンプル・タロウ", "サンプル・タロウ"),
        ("ｻﾝﾌﾟﾙ ﾀﾛｳ", "サンプル タロウ"),
        ("サトー", "サトー"),
        ("  ヤマダ\u3000タロウ  ", "ヤマダ タロウ"),
        ("ヴィ", "ヴィ"),
        ("ゝゞヽヾ", "ゝゞヽヾ"),
        (None, None),
        ("", None),
        ("\u3000", None),
    ],
)
def test_kana_is_stored_after_nfkc(given: str | None, stored: str | None) -> None:
    assert check_name_kana(given) == stored


@pytest.mark.parametrize("refused", ["山田", "sample", "サンプル1", "さんぷる。", "たろう（仮）", "ﾀﾛｳ!", "〜"])
def test_anything_but_kana_is_refused_on_the_field(refused: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        check_name_kana(refused)
    assert raised.value.field == "person.name_kana" and "ひらがな・カタカナ" in raised.value.message


def test_a_linked_consultation_is_never_updated_before_it_was_received() -> None:
    received = datetime(2026, 11, 20, 1, tzinfo=UTC)
    assert ReporterView.of("TSN-1", received, None, None) == ReporterView("TSN-1", "受付済", received, received)
    earlier = ReporterView.of("TSN-1", received, "対応中", received - timedelta(days=3))
    assert (earlier.stage, earlier.updated_at) == ("対応中", received)
    later = ReporterView.of("TSN-1", received, "対応中", received + timedelta(hours=2))
    assert later.updated_at == received + timedelta(hours=2)


def test_reference_tolerates_lower_case_and_look_alikes() -> None:
    assert normalise_reference(" tsn-2611-7k3q9m ") == "TSN-2611-7K3Q9M"
    assert normalise_reference("TSN-26ll-O0IQ9M") == "TSN-2611-001Q9M"
