"""What the case page offers is exactly what the commands accept: allowed statuses,
whether the case can be referred, and which fields may be shared."""

from __future__ import annotations

import itertools

import pytest

from services.case.domain.moves import (
    CaseState,
    allowed_statuses,
    check_referral,
    check_status_change,
    check_workable,
    referral_refusal,
)
from services.case.domain.referrals import check_share, share_options
from services.case.domain.status import ALLOWED_MOVES, CLOSED, CONNECTING, IN_HAND, RECEIVED, STATUSES, WATCHING
from shared.errors import Conflict, InvalidInput
from shared.events.referral import PERSONAL_FIELDS, SHAREABLE_FIELDS, SHAREABLE_LABELS

STATES = [
    CaseState(status=s, assigned=a, merged_into=m, version=3)
    for s, a, m in itertools.product(STATUSES, (True, False), (None, "01MERGEDINTO"))
]


def _accepts(state: CaseState, target: str) -> bool:
    try:
        check_status_change(state, target)
    except Conflict:
        return False
    return True


@pytest.mark.parametrize("state", STATES, ids=str)
def test_offered_statuses_are_exactly_the_accepted_ones(state: CaseState) -> None:
    assert allowed_statuses(state) == [t for t in STATUSES if _accepts(state, t)]


@pytest.mark.parametrize(
    ("status", "assigned", "offered"),
    [
        (RECEIVED, False, [CLOSED]),  # an owner first: 対応中 needs one
        (RECEIVED, True, [IN_HAND, CLOSED]),
        (IN_HAND, True, [CONNECTING, WATCHING, CLOSED]),
        (IN_HAND, False, [CLOSED]),  # released by a move to another area
        (CONNECTING, True, [IN_HAND, WATCHING, CLOSED]),
        (WATCHING, True, [IN_HAND, CONNECTING, CLOSED]),
        (CLOSED, True, [IN_HAND]),
        (CLOSED, False, []),
    ],
)
def test_offered_statuses_follow_the_lifecycle(status: str, assigned: bool, offered: list[str]) -> None:
    state = CaseState(status=status, assigned=assigned, merged_into=None, version=1)
    assert allowed_statuses(state) == offered
    assert set(offered) <= ALLOWED_MOVES[status]


def test_a_merged_case_offers_nothing() -> None:
    for status in STATUSES:
        state = CaseState(status=status, assigned=True, merged_into="01TARGET", version=2)
        assert allowed_statuses(state) == []
        assert "統合" in referral_refusal(state)
        with pytest.raises(Conflict) as raised:
            check_workable(state)
        assert raised.value.extensions == {"merged_into": "01TARGET", "current_version": 2}


@pytest.mark.parametrize("state", STATES, ids=str)
def test_referable_is_exactly_what_the_referral_command_accepts(state: CaseState) -> None:
    try:
        check_referral(state)
        accepted, message = True, None
    except Conflict as exc:
        accepted, message = False, exc.message
    assert referral_refusal(state) == message
    assert accepted == (state.merged_into is None and state.status in (IN_HAND, CONNECTING, WATCHING))


def test_refusals_are_japanese() -> None:
    closed = CaseState(status=CLOSED, assigned=True, merged_into=None, version=1)
    received = CaseState(status=RECEIVED, assigned=False, merged_into=None, version=1)
    assert referral_refusal(closed) == "終結したケースです。必要なら再開してから操作してください。"
    assert "担当を決めて" in referral_refusal(received)
    with pytest.raises(Conflict, match="担当が決まっていない"):
        check_status_change(received, IN_HAND)


@pytest.mark.parametrize(
    ("consent", "ground"),
    list(itertools.product(("同意あり", "同意なし", "未確認"), (None, "", "  ", "生命の危険(サンプル)"))),
)
def test_share_options_agree_with_check_share(consent: str, ground: str | None) -> None:
    options = share_options(consent, ground)
    assert [o.field for o in options] == list(SHAREABLE_FIELDS)
    for option in options:
        try:
            check_share([option.field], consent, ground)
            accepted = True
        except InvalidInput:
            accepted = False
        assert option.allowed == accepted
        assert option.personal == (option.field in PERSONAL_FIELDS)
        assert (option.reason is None) == option.allowed
        assert option.label == SHAREABLE_LABELS[option.field]
        if not option.allowed:
            assert "同意" in option.reason and consent in option.reason


def test_labels_are_the_pages_words() -> None:
    assert [SHAREABLE_LABELS[f] for f in SHAREABLE_FIELDS] == [
        "氏名",
        "年代",
        "おおよその場所",
        "小学校区",
        "相談分類",
        "世帯構成(続柄・年代)",
        "気づいたこと",
        "緊急度",
    ]
