"""A referral as a FHIR Task: Tsunagi's states mapped, nothing personal carried."""

from __future__ import annotations

import json

from services.referral.domain.lifecycle import Action, Party
from services.referral.domain.referral import move
from services.referral.entrypoints.fhir import as_fhir_task
from tests.unit.referral.test_referral_aggregate import AT, received


def test_received_is_requested_with_a_business_status() -> None:
    referral, _ = received(urgency="緊急")
    task = as_fhir_task(referral, "サンプル地域包括支援センター第3")
    assert task["status"] == "requested" and task["businessStatus"]["coding"][0]["code"] == "received"
    assert task["priority"] == "stat" and task["intent"] == "order"
    assert task["authoredOn"].endswith("Z") and task["restriction"]["period"]["end"].endswith("Z")
    text = json.dumps(task, ensure_ascii=False)
    assert "サンプル花子" not in text and "新聞" not in text and referral.purpose not in text


def test_declined_is_rejected_with_its_reason() -> None:
    referral, _ = received()
    declined, _ = move(referral, Action.DECLINE, Party.AGENCY, expected_version=1, at=AT, reason="対象外")
    task = as_fhir_task(declined, None)
    assert task["status"] == "rejected" and task["statusReason"] == {"text": "対象外"}
    assert "display" not in task["owner"] and task["meta"]["versionId"] == "2"
