"""Same person or household: exact matches link, likely matches are offered; the match
keys are keyed hashes (HMAC) of the normalised facts."""

from __future__ import annotations

from services.case.domain.matching import (
    MAX_LIKELY_OFFERS,
    MatchKeys,
    PersonFacts,
    find_matches,
    likely_offers,
    match_keys,
    normalise,
)

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
    assert match.kind == "likely" and match.reasons == ("same_place", "same_age_group", "same_school_district")


def test_same_place_and_household_of_two_named_people_is_likely() -> None:
    [match] = find_matches(facts(name="山田花子", age="70代"), [("c1", facts(name="山田太郎"))])
    assert match.kind == "likely" and match.reasons == ("same_place", "same_household", "same_school_district")


def test_a_household_make_up_alone_is_not_a_match() -> None:
    alone = [{"relation": "本人", "age_group": "80代"}]
    assert find_matches(facts(place="サンプル町2丁目", household=alone), [("c1", facts(household=alone))]) == []
    assert find_matches(facts(place=None, household=alone), [("c1", facts(household=alone))]) == []


def test_a_place_alone_is_not_a_match() -> None:
    other = [{"relation": "本人", "age_group": "30代"}]
    assert find_matches(facts(age="30代", household=other), [("c1", facts())]) == []
    assert find_matches(facts(age=None, household=other), [("c1", facts())]) == []


def test_the_same_age_group_alone_is_not_a_match() -> None:
    assert find_matches(facts(place="別の町", household=[]), [("c1", facts())]) == []


def test_offers_are_capped_strongest_first() -> None:
    place_and_age = [(f"age{i}", facts(household=[])) for i in range(MAX_LIKELY_OFFERS)]
    household = ("household", facts(name="山田太郎"))
    name = ("name", facts(name="山田花子", age="40代", place="別の町"))
    matches = find_matches(facts(name="山田花子", age="80代"), [*place_and_age, household, name])
    offered = likely_offers(matches)
    assert len(matches) == MAX_LIKELY_OFFERS + 2 and len(offered) == MAX_LIKELY_OFFERS
    assert [m.case_id for m in offered] == ["name", "household", "age0", "age1", "age2"]
    assert likely_offers([m for m in matches if m.case_id == "age3"]) == [matches[3]]


def test_other_district_does_not_match() -> None:
    assert find_matches(facts(district="SD01"), [("c1", facts())]) == []


def test_nothing_in_common_does_not_match() -> None:
    assert find_matches(facts(place="別の町", household=[]), [("c1", facts())]) == []


def test_unknown_district_with_a_known_name_is_likely_anywhere() -> None:
    [match] = find_matches(facts(district="不明", name="山田花子"), [("c1", facts(name="山田花子"))])
    assert match.kind == "likely"


def test_exact_matches_come_first() -> None:
    matches = find_matches(facts(), [("likely", facts(household=[])), ("exact", facts())])
    assert matches[1].kind == "likely"
    assert [m.case_id for m in matches] == ["exact", "likely"]


def test_variant_kanji_of_a_name_match_exactly() -> None:
    [match] = find_matches(facts(name="髙橋 サンプル"), [("c1", facts(name="高橋サンプル"))])
    assert match.kind == "exact" and "same_name" in match.reasons
    keys = MatchKeys(b"k" * 32)
    assert (
        match_keys(facts(name="渡邊 サンプル"), keys)["name_key"]
        == match_keys(facts(name="渡辺サンプル"), keys)["name_key"]
    )


def test_keys_depend_on_the_secret() -> None:
    sample = facts(name="サンプル 太郎")
    sample_kana = PersonFacts.of("SD07", {"name": "サンプル 太郎", "name_kana": "サンプル タロウ"}, HOUSEHOLD)
    one, other = MatchKeys(b"one-secret-one-secret-one-secret"), MatchKeys(b"another-secret-another-secret-00")
    for column in ("name_key", "place_key", "household_key"):
        assert match_keys(sample, one)[column] == match_keys(sample, one)[column]
        assert match_keys(sample, one)[column] != match_keys(sample, other)[column]
        assert len(match_keys(sample, one)[column]) == 32
    assert match_keys(sample_kana, one)["kana_key"] != match_keys(sample_kana, other)["kana_key"]


def test_keys_are_not_bare_hashes_of_the_name() -> None:
    import hashlib

    key = match_keys(facts(name="サンプル太郎"), MatchKeys(b"s" * 32))["name_key"]
    assert key != hashlib.sha256("name\x1fサンプル太郎".encode()).hexdigest()[:32]
    assert "MatchKeys" in repr(MatchKeys(b"s" * 32)) and "sss" not in repr(MatchKeys(b"s" * 32))


def test_unknown_facts_have_no_key() -> None:
    keys = match_keys(PersonFacts.of("不明", {"age_group": "70代"}, []), MatchKeys(b"k" * 32))
    assert keys == {"name_key": None, "place_key": None, "household_key": None, "kana_key": None}


def test_furigana_keys_ignore_script_width_and_dots() -> None:
    keys = MatchKeys(b"k" * 32)
    assert (
        keys.kana("ヤマダ タロウ") == keys.kana("やまだたろう") == keys.kana("ﾔﾏﾀﾞ ﾀﾛｳ") == keys.kana("ヤマダ・タロウ")
    )
    assert keys.kana("やまだ たろう") != keys.name("やまだ たろう")  # a reading and a name are different keys
    assert keys.name("   ") is None and keys.kana(None) is None
