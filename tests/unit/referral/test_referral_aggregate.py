"""The referral aggregate: arrival, guarded moves, milestones, privacy filter, access."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.referral.domain.access import can_see, party_of
from services.referral.domain.deadlines import response_deadlines
from services.referral.domain.lifecycle import Action, IllegalMove, Party, Status
from services.referral.domain.referral import NotYourMove, ReferralRequest, StaleVersion, arrive, move
from services.referral.domain.sharing import shareable_part
from shared.followups import load_followup_policy
from shared.settings import PROJECT_ROOT

AT = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # Tuesday 10:00 JST
POLICY = load_followup_policy(PROJECT_ROOT / "reference" / "followups.yaml")


def request(**overrides: object) -> ReferralRequest:
    values: dict[str, object] = dict(
        id="R1",
        case_id="C1",
        case_number="CASE-2611-0001",
        area="中部",
        agency_id="hc-3",
        purpose="見守り体制の相談",
        urgency="通常",
        offered={"age_group": "80代", "person_name": "サンプル花子", "noticed": "新聞がたまっている"},
        consent="同意あり",
        legal_ground=None,
        requested_at=AT,
    )
    values.update(overrides)
    return ReferralRequest(**values)  # type: ignore[arg-type]


def received(**overrides: object):
    deadlines = response_deadlines(POLICY, AT, agency_kind="地域包括支援センター", urgency="通常", calendar="jp-public")
    return arrive(request(**overrides), deadlines, AT)


def test_arrival_puts_it_in_the_inbox_with_deadlines() -> None:
    referral, transition = received()
    assert referral.status == Status.RECEIVED and referral.version == 1
    assert (transition.from_status, transition.to_status, transition.action) == (
        Status.REQUESTED,
        Status.RECEIVED,
        Action.DELIVER,
    )
    # Tuesday: acknowledge by end of Wednesday, decide by end of Friday (24:00 JST).
    assert referral.acknowledge_by == datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    assert referral.decide_by == datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    assert referral.next_deadline() == referral.acknowledge_by


def test_unknown_agency_is_recorded_as_failed_not_dropped() -> None:
    referral, transition = arrive(request(agency_id="no-such"), None, AT)
    assert referral.status == Status.FAILED and referral.version == 1
    assert transition.action == Action.UNDELIVERABLE
    assert "no-such" in (referral.reason or "") and "登録されていません" in (referral.reason or "")
    assert referral.closed_at == AT


def test_a_full_loop_with_milestones() -> None:
    referral, _ = received()
    later = AT + timedelta(hours=2)
    referral, t = move(referral, Action.ACCEPT, Party.AGENCY, expected_version=1, at=later, note="訪問します")
    assert referral.status == Status.ACCEPTED and referral.version == 2 and t.note == "訪問します"
    assert referral.acknowledged_at == later and referral.decided_at == later  # accepting implies opening
    referral, _ = move(referral, Action.START, Party.AGENCY, expected_version=2, at=later)
    referral, _ = move(referral, Action.HOLD, Party.AGENCY, expected_version=3, at=later, reason="入院中")
    assert referral.status == Status.ON_HOLD and referral.reason == "入院中"
    referral, _ = move(referral, Action.RESUME, Party.AGENCY, expected_version=4, at=later)
    referral, _ = move(referral, Action.COMPLETE, Party.AGENCY, expected_version=5, at=later)
    assert referral.status == Status.COMPLETED and referral.closed_at == later and referral.version == 6
    assert not referral.is_open


def test_decline_keeps_the_reason_trimmed() -> None:
    referral, _ = received()
    referral, t = move(referral, Action.DECLINE, Party.AGENCY, expected_version=1, at=AT, reason="  対象外です ")
    assert referral.status == Status.DECLINED and referral.reason == "対象外です" == t.reason


@pytest.mark.parametrize(
    ("action", "party"),
    [
        (Action.ACCEPT, Party.COORDINATOR),
        (Action.ACCEPT, None),
        (Action.CANCEL, Party.AGENCY),
        (Action.ACKNOWLEDGE, Party.COORDINATOR),
        (Action.DELIVER, Party.AGENCY),
    ],
)
def test_only_the_right_party_moves(action: Action, party: Party | None) -> None:
    referral, _ = received()
    with pytest.raises(NotYourMove):
        move(referral, action, party, expected_version=1, at=AT, reason="理由")


def test_a_stale_version_is_refused_before_anything_else() -> None:
    referral, _ = received()
    with pytest.raises(StaleVersion) as stale:
        move(referral, Action.START, Party.AGENCY, expected_version=0, at=AT)  # illegal too
    assert stale.value.current_version == 1


def test_an_illegal_move_names_the_state() -> None:
    referral, _ = received()
    with pytest.raises(IllegalMove, match="受信済"):
        move(referral, Action.COMPLETE, Party.AGENCY, expected_version=1, at=AT)


def test_overdue_since() -> None:
    referral, _ = received()
    assert referral.overdue_since(referral.acknowledge_by) is None
    late = referral.acknowledge_by + timedelta(minutes=1)
    assert referral.overdue_since(late) == referral.acknowledge_by
    accepted, _ = move(referral, Action.ACCEPT, Party.AGENCY, expected_version=1, at=late)
    assert accepted.next_deadline() is None and accepted.overdue_since(late + timedelta(days=9)) is None


# Privacy -------------------------------------------------------------------------------

OFFERED = {
    "person_name": "サンプル花子",
    "approximate_place": "サンプル町1丁目",
    "household": [{"relation": "長男"}],
    "noticed": "新聞がたまっている",
    "age_group": "80代",
    "categories": ["高齢"],
    "school_district": "SD06",
    "urgency": "高",
    "phone": "000",
    "case_notes": "内部メモ",
    "blank": None,
}


def test_with_consent_only_shareable_fields_pass() -> None:
    shared = shareable_part(OFFERED, "同意あり", None)
    assert set(shared.fields) == {
        "person_name",
        "approximate_place",
        "household",
        "noticed",
        "age_group",
        "categories",
        "school_district",
        "urgency",
    }
    assert shared.withheld == ("case_notes", "phone")


@pytest.mark.parametrize("consent", ["同意なし", "未確認"])
def test_without_consent_personal_fields_are_withheld(consent: str) -> None:
    shared = shareable_part(OFFERED, consent, None)
    assert set(shared.fields) == {"age_group", "categories", "school_district", "urgency"}
    assert set(shared.withheld) == {"person_name", "approximate_place", "household", "noticed", "phone", "case_notes"}
    assert "サンプル花子" not in repr(shared)


def test_a_recorded_legal_ground_allows_personal_fields() -> None:
    assert "person_name" in shareable_part(OFFERED, "同意なし", "生命の危険(個人情報保護法27条1項2号)").fields
    assert "person_name" not in shareable_part(OFFERED, "同意なし", "   ").fields


def test_arrival_applies_the_privacy_filter() -> None:
    referral, _ = received(consent="未確認")
    assert set(referral.shared) == {"age_group"}
    assert referral.withheld == ("noticed", "person_name")


# Access ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "scope", "sees", "party"),
    [
        ("agency", "hc-3", True, Party.AGENCY),
        ("agency", "hc-1", False, None),
        ("coordinator", "中部", True, Party.COORDINATOR),
        ("coordinator", "西部", False, None),
        ("supervisor", "city", True, None),
        ("reporter", "hc-3", False, None),
        ("reporter", "中部", False, None),
    ],
)
def test_who_sees_and_who_acts(role: str, scope: str, sees: bool, party: Party | None) -> None:
    assert can_see(role, scope, agency_id="hc-3", area="中部") is sees
    assert party_of(role, scope, agency_id="hc-3", area="中部") == party


def test_withdrawn_consent_removes_personal_fields_open_or_closed() -> None:
    from services.referral.domain.referral import withdraw_personal_data

    referral, _ = received()
    assert set(referral.shared) == {"age_group", "person_name", "noticed"}
    narrowed = withdraw_personal_data(referral, "同意なし", AT)
    assert narrowed is not None and set(narrowed.shared) == {"age_group"}
    assert narrowed.withheld == ("noticed", "person_name") and narrowed.consent == "同意なし"
    assert narrowed.version == referral.version  # not a move: it never makes an agency's move stale
    assert withdraw_personal_data(narrowed, "同意なし", AT) is None  # nothing left to remove
    closed, _ = move(referral, Action.DECLINE, Party.AGENCY, expected_version=1, at=AT, reason="対象外")
    assert set(withdraw_personal_data(closed, "同意なし", AT).shared) == {"age_group"}
