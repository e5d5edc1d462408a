"""Name normalisation for matching and search: width, spaces, case, variant kanji and,
for furigana, katakana and 「・」."""

from __future__ import annotations

import pytest

from services.case.domain.names import VARIANT_KANJI, normalise, normalise_kana, normalise_name


@pytest.mark.parametrize("written", ["山田 太郎", "山田　太郎", "山田太郎", " 山田\t太郎 ", "山田\u3000\u3000太郎"])
def test_whitespace_of_any_width_is_dropped(written: str) -> None:
    assert normalise_name(written) == "山田太郎"


def test_width_and_case_are_folded() -> None:
    assert normalise_name("ＳＡＭＰＬＥ Taro") == "sampletaro"
    assert normalise_name("ｻﾝﾌﾟﾙ") == "サンプル"  # half-width katakana, voiced marks composed
    assert normalise("ＳＡＭＰＬＥ") == "sample"


@pytest.mark.parametrize(("variant", "usual"), sorted(VARIANT_KANJI.items()))
def test_every_variant_kanji_folds_to_its_usual_form(variant: str, usual: str) -> None:
    assert normalise_name(f"サンプル{variant}") == f"サンプル{usual}"
    assert normalise_name(usual) == usual  # the usual form is a fixed point


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("髙橋 花子", "高橋花子"),
        ("山﨑", "山崎"),
        ("山嵜", "山崎"),
        ("渡邊", "渡辺"),
        ("渡邉", "渡辺"),
        ("澤田", "沢田"),
        ("濱田", "浜田"),
        ("廣瀬", "広瀬"),
        ("國分", "国分"),
        ("櫻井", "桜井"),
        ("長瀨", "長瀬"),
        ("眞子", "真子"),
        ("德永", "徳永"),
        ("惠子", "恵子"),
        ("冨田", "富田"),
        ("大嶋", "大島"),
        ("大嶌", "大島"),
        ("齋藤", "斉藤"),
        ("齊藤", "斉藤"),
        ("斎藤", "斉藤"),
        ("藪内", "薮内"),
        ("槇原", "槙原"),
        ("髮", "髪"),
        ("𠮷田", "吉田"),
    ],
)
def test_names_written_with_variants_are_one_name(one: str, other: str) -> None:
    assert normalise_name(one) == normalise_name(other)


def test_different_names_stay_different() -> None:
    assert normalise_name("高橋") != normalise_name("高梁")
    assert normalise_name("やまだ") != normalise_name("ヤマダ")  # names keep their script; readings do not


def test_variation_selectors_are_dropped() -> None:
    assert normalise_name("葛\U000e0100西") == normalise_name("葛西")


@pytest.mark.parametrize(
    "reading",
    [
        "ヤマダ タロウ",
        "やまだ たろう",
        "ﾔﾏﾀﾞ ﾀﾛｳ",
        "ヤマダ・タロウ",
        "ﾔﾏﾀﾞ･ﾀﾛｳ",
        "やまだ・たろう",
        "ヤマダ　タロウ",
        "ヤマダタロウ",
    ],
)
def test_furigana_in_any_script_or_width_is_one_reading(reading: str) -> None:
    assert normalise_kana(reading) == "やまだたろう"


def test_furigana_keeps_the_long_vowel_mark_and_maps_every_katakana() -> None:
    assert normalise_kana("サトー") == "さとー"
    assert normalise_kana("ヴァヵヶヽヾ") == "ゔぁゕゖゝゞ"
    assert normalise_kana("ァ") == "ぁ" and normalise_kana("ヶ") == "ゖ"


@pytest.mark.parametrize("blank", [None, "", " ", "\u3000", "・"])
def test_blank_is_empty(blank: str | None) -> None:
    assert normalise_kana(blank) == ""
