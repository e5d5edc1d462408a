"""Same person or household: exact matches link, likely matches are offered."""

from __future__ import annotations

from services.case.domain.matching import PersonFacts, find_matches, normalise

HOUSEHOLD = [{"relation": "本人", "age_group": "80代"}, {"relation": "長男", "age_group": "50代"}]


def facts(district="SD07", name=None, age="80代", place="サンプル町1丁目付近", household=HOUSEHOLD) -> PersonFacts:
    return PersonFacts.of(district, {"name": name, "age_group": age, "approximate_place": place}, household)


def test_normalise_ignores_width_and_spaces() -> None:
    assert normalise("山田　太郎") == normalise("山田 太郎") == normalise("山田太郎")
    assert normalise("ＳＡＭＰＬＥ") == "sample"


def test_same_name_in_the_same_district_is_exact() -> None:
    [match] = find_matches(facts(name="山田 花子"), [("c1", facts(name="山田花子", place="別の場所"))])
    assert match.kind == "exact" and "same_name" in match.reasons


def test_contradicting_age_is_only_likely() -> None:
    [match] = find_matches(facts(name="山田花子", age="40代"), [("c1", facts(name="山田花子"))])
    assert match.kind == "likely"


def test_anonymous_same_place_and_household_is_exact() -> None:
    [match] = find_matches(facts(), [("c1", facts())])
    assert match.kind == "exact"
    assert set(match.reasons) == {"same_place", "same_household", "same_school_district"}


def test_same_place_other_household_is_likely() -> None:
    other = [{"relation": "本人", "age_group": "70代"}]
    [match] = find_matches(facts(household=other), [("c1", facts())])
    assert match.kind == "likely" and match.reasons[0] == "same_place"


def test_other_district_does_not_match() -> None:
    assert find_matches(facts(district="SD01"), [("c1", facts())]) == []


def test_nothing_in_common_does_not_match() -> None:
    assert find_matches(facts(place="別の町", household=[]), [("c1", facts())]) == []


def test_unknown_district_with_a_known_name_is_likely_anywhere() -> None:
    [match] = find_matches(facts(district="不明", name="山田花子"), [("c1", facts(name="山田花子"))])
    assert match.kind == "likely"


def test_exact_matches_come_first() -> None:
    matches = find_matches(facts(), [("likely", facts(household=[])), ("exact", facts())])
    assert [m.case_id for m in matches] == ["exact", "likely"]
