"""Each household member's needs: what is accepted, the member's consent, a referral's
facts for one member, and the likely match of a report about a member who carries a
category of the consultation."""

from __future__ import annotations

import pytest

from services.case.domain.matching import PersonFacts, find_matches
from services.case.domain.member_needs import (
    Needs,
    check_needs,
    facts_of_member,
    member_consent,
)
from services.case.domain.referrals import CaseFacts
from shared.errors import InvalidInput

KNOWN = ("8050", "ひきこもり", "ヤングケアラー", "外国にルーツ")


def test_needs_are_checked_and_tidied() -> None:
    checked = check_needs(Needs(["ヤングケアラー", "ヤングケアラー"], None, " ベトナム語 ", True), KNOWN)
    assert checked == Needs(["ヤングケアラー"], None, "ベトナム語", True)


@pytest.mark.parametrize(
    ("needs", "field"),
    [
        (Needs(["宇宙"], None, None, False), "categories"),
        (Needs([], "たぶん", None, False), "consent"),
        (Needs([], None, None, True), "language"),
        (Needs([], None, "  ", True), "language"),
    ],
)
def test_needs_refused_name_their_field(needs: Needs, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_needs(needs, KNOWN)
    assert refused.value.field == field


def test_a_members_own_consent_stands_where_recorded() -> None:
    assert member_consent({"consent": "同意なし"}, "同意あり") == "同意なし"
    assert member_consent({"consent": None}, "同意あり") == "同意あり"


def test_a_referral_for_one_member_carries_that_members_facts() -> None:
    facts = CaseFacts("母", "80代", "サンプル町", "SD07", ["8050"], [], "サンプル", "高")
    member = {"name": "孫", "age_group": "10代", "categories": ["ヤングケアラー"]}
    shared = facts_of_member(facts, member)
    assert (shared.person_name, shared.age_group, shared.categories) == ("孫", "10代", ["ヤングケアラー"])
    assert shared.approximate_place == "サンプル町"
    assert facts_of_member(facts, {"name": None, "age_group": None, "categories": None}).categories == ["8050"]


def test_a_report_about_a_young_carer_is_offered_to_the_household_holding_one() -> None:
    place = {"name": None, "age_group": "10代", "approximate_place": "サンプル町1丁目"}
    new = PersonFacts.of("SD07", place, [], ["ヤングケアラー"])
    old = PersonFacts.of("SD07", {**place, "age_group": "80代"}, [{"relation": "長男", "age_group": "50代"}])
    assert find_matches(new, [("c1", old)]) == []
    with_carer = PersonFacts(**{**old.__dict__, "member_needs": (("10代", frozenset({"ヤングケアラー"})),)})
    [match] = find_matches(new, [("c1", with_carer)])
    assert match.kind == "likely" and "same_member" in match.reasons
    elsewhere = PersonFacts(**{**with_carer.__dict__, "approximate_place": "サンプル町9丁目"})
    assert find_matches(new, [("c1", elsewhere)]) == []
