"""The approval and community-issue events seal people's words on the stream and keep
them off the timeline; every one is in the event catalogue."""

from __future__ import annotations

from services.case.domain.timeline import LABELS, summarise
from shared.events import EVENT_TYPES
from shared.events.approvals import (
    ApprovalDecided,
    ApprovalRequested,
    CommunityIssueRaised,
    UnmetNeedRecorded,
)
from shared.events.personal import personal_paths


def test_reasons_what_is_missing_and_titles_are_sealed() -> None:
    assert personal_paths(ApprovalRequested) == ["request_reason"]
    assert personal_paths(ApprovalDecided) == ["decision_reason"]
    assert personal_paths(UnmetNeedRecorded) == ["missing"]
    assert personal_paths(CommunityIssueRaised) == ["title"]


def test_the_timeline_keeps_the_decision_not_the_words() -> None:
    kept = summarise({"approval_id": "a", "decision": "refused", "decision_reason": "…", "request_reason": "…"})
    assert kept == {"approval_id": "a", "decision": "refused"}
    assert summarise({"need_id": "n", "category": "8050", "missing": "…"}) == {"need_id": "n", "category": "8050"}


def test_every_new_case_event_is_catalogued_and_labelled() -> None:
    for type_ in (
        "case.approval_requested",
        "case.approval_decided",
        "case.approval_withdrawn",
        "case.approval_carried_out",
        "case.unmet_need_recorded",
        "case.need_gathered",
    ):
        assert type_ in EVENT_TYPES and LABELS[type_]
    assert {"case.community_issue_raised", "case.community_issue_status_changed"} <= set(EVENT_TYPES)
