"""Supervisor approvals: every move of a request (legal and illegal, by kind), who may
decide or withdraw, and which case moves need approval under the city's policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import product

import pytest

from services.case.domain import approvals as rules
from shared.approvals import ApprovalPolicy
from shared.errors import Conflict, Forbidden

LEGAL = {
    (rules.APPROVAL, rules.PENDING, rules.APPROVED),
    (rules.APPROVAL, rules.PENDING, rules.REFUSED),
    (rules.APPROVAL, rules.PENDING, rules.WITHDRAWN),
    (rules.APPROVAL, rules.APPROVED, rules.CARRIED_OUT),
    (rules.APPROVAL, rules.APPROVED, rules.FAILED),
    (rules.REVIEW, rules.PENDING, rules.APPROVED),
    (rules.REVIEW, rules.PENDING, rules.REFUSED),
}
ALL = list(product((rules.APPROVAL, rules.REVIEW), rules.STATUSES, rules.STATUSES))


@pytest.mark.parametrize(("kind", "current", "target"), sorted(LEGAL))
def test_a_legal_move_is_made(kind: str, current: str, target: str) -> None:
    assert rules.move(kind, current, target) == target


@pytest.mark.parametrize(("kind", "current", "target"), [m for m in ALL if m not in LEGAL])
def test_every_other_move_is_refused_in_japanese(kind: str, current: str, target: str) -> None:
    with pytest.raises(Conflict, match="にできません") as refused:
        rules.move(kind, current, target)
    assert refused.value.extensions["current_status"] == current


def test_a_review_cannot_be_withdrawn_nor_carried_out() -> None:
    assert not rules.can_move(rules.REVIEW, rules.PENDING, rules.WITHDRAWN)
    assert not rules.can_move(rules.REVIEW, rules.APPROVED, rules.CARRIED_OUT)


def test_an_unknown_kind_moves_nowhere() -> None:
    assert not rules.can_move("other", rules.PENDING, rules.APPROVED)


@pytest.mark.parametrize("role", ["coordinator", "agency", "reporter"])
def test_only_a_supervisor_decides(role: str) -> None:
    with pytest.raises(Forbidden):
        rules.check_decider(role)
    rules.check_decider("supervisor")


def test_only_the_requester_withdraws() -> None:
    rules.check_withdrawer("coordinator", "csw-1", "csw-1")
    with pytest.raises(Forbidden):
        rules.check_withdrawer("coordinator", "csw-2", "csw-1")
    with pytest.raises(Forbidden):
        rules.check_withdrawer("supervisor", "csw-1", "csw-1")


POLICY = ApprovalPolicy()
NONE_NEEDED = ApprovalPolicy.model_validate(
    {
        "share_without_consent": {"required": False},
        "close_with_open_work": {"required": False},
        "reopen_after_long": {"required": False},
        "merge_across_areas": {"required": False},
    }
)


@pytest.mark.parametrize(
    ("personal", "consented", "ground", "urgent", "needs"),
    [
        (True, False, True, False, rules.APPROVAL),
        (True, False, True, True, rules.REVIEW),
        (True, True, True, False, None),
        (True, True, False, False, None),
        (False, False, True, False, None),
        (True, False, False, False, None),  # refused by the sharing rule itself
    ],
)
def test_which_shares_wait_for_a_supervisor(
    personal: bool, consented: bool, ground: bool, urgent: bool, needs: str | None
) -> None:
    facts = rules.ShareFacts(personal=personal, consented=consented, legal_ground=ground, urgent=urgent)
    assert rules.share_needs(facts, POLICY) == needs
    assert rules.share_needs(facts, NONE_NEEDED) is None


def test_closing_with_open_work_needs_approval() -> None:
    assert rules.close_needs(1, False, POLICY)
    assert rules.close_needs(0, True, POLICY)
    assert not rules.close_needs(0, False, POLICY)
    assert not rules.close_needs(2, True, NONE_NEEDED)


def test_reopening_after_the_citys_days_needs_approval() -> None:
    now = datetime(2026, 12, 3, tzinfo=UTC)
    assert rules.reopen_needs(now - timedelta(days=180), now, POLICY)
    assert not rules.reopen_needs(now - timedelta(days=179), now, POLICY)
    assert not rules.reopen_needs(None, now, POLICY)
    assert not rules.reopen_needs(now - timedelta(days=900), now, NONE_NEEDED)
    short = ApprovalPolicy.model_validate({"reopen_after_long": {"after_days": 7}})
    assert rules.reopen_needs(now - timedelta(days=7), now, short)


def test_merging_across_areas_needs_approval() -> None:
    assert rules.merge_needs("中部", "西部", POLICY)
    assert not rules.merge_needs("中部", "中部", POLICY)
    assert not rules.merge_needs("中部", "西部", NONE_NEEDED)


def test_the_refusal_of_a_direct_move_names_the_move() -> None:
    refusal = rules.approval_required(rules.CLOSE, "紹介が続いています。", 7)
    assert "監督者の承認が必要です" in refusal.message
    assert refusal.extensions == {"approval_required": rules.CLOSE, "current_version": 7}


def test_the_policy_refuses_an_unknown_key() -> None:
    with pytest.raises(ValueError, match="extra"):
        ApprovalPolicy.model_validate({"close_with_open_work": {"required": True, "typo": 1}})
    with pytest.raises(ValueError, match="after_days"):
        ApprovalPolicy.model_validate({"reopen_after_long": {"after_days": 0}})
