"""The referral figures' arithmetic (services/referral/domain/figures.py): counts per
agency kind, zeros for every kind of the directory, the share over those judged."""

from __future__ import annotations

from collections import Counter

from services.referral.domain.figures import JUDGED, OUTCOMES, UNKNOWN_KIND, by_agency_kind, kind_figures

KINDS = {"hc-3": "地域包括支援センター", "hc-5": "地域包括支援センター", "npo-1": "NPO"}


def test_share_counts_only_those_decided_or_past_their_deadline() -> None:
    figures = kind_figures(
        Counter(
            accepted_within_deadline=3,
            accepted_late=1,
            declined=1,
            still_within_deadline=4,
            past_deadline_undecided=1,
            closed_without_decision=2,
        )
    )
    assert figures == {
        "requested": 12,
        "accepted": 4,
        "accepted_within_deadline": 3,
        "accepted_late": 1,
        "declined": 1,
        "still_within_deadline": 4,
        "past_deadline_undecided": 1,
        "closed_without_decision": 2,
        "share_accepted_within_deadline": 0.5,
    }
    assert set(JUDGED) < set(OUTCOMES)


def test_no_share_while_nothing_is_judged() -> None:
    assert kind_figures(Counter(still_within_deadline=2))["share_accepted_within_deadline"] is None
    assert kind_figures(Counter(closed_without_decision=1))["share_accepted_within_deadline"] is None
    assert kind_figures(Counter())["requested"] == 0
    assert kind_figures(Counter(past_deadline_undecided=3))["share_accepted_within_deadline"] == 0.0
    assert kind_figures(Counter(accepted_within_deadline=2, accepted_late=1))["share_accepted_within_deadline"] == 0.667


def test_rolled_up_by_kind_with_every_kind_listed() -> None:
    rows = [
        ("hc-3", "accepted_within_deadline", 2),
        ("hc-5", "accepted_late", 1),
        ("ghost", "closed_without_decision", 1),
    ]
    figures = by_agency_kind(rows, KINDS.get, ["地域包括支援センター", "保健所", "NPO"])
    assert [k["agency_kind"] for k in figures["by_agency_kind"]] == [
        "地域包括支援センター",
        "保健所",
        "NPO",
        UNKNOWN_KIND,
    ]
    centre = figures["by_agency_kind"][0]
    assert (centre["requested"], centre["accepted"], centre["share_accepted_within_deadline"]) == (3, 3, 0.667)
    assert figures["by_agency_kind"][1]["requested"] == 0
    assert figures["total"]["requested"] == 4 and figures["total"]["closed_without_decision"] == 1
