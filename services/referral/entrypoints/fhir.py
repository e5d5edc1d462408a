"""A referral as an HL7 FHIR R4 ``Task`` (the closed-loop referral model of the SDOH
Clinical Care guide), for staff and for systems that speak FHIR. Identifiers and
states only: no personal data, no shared fields, no free text beyond the status
reason the agency or coordinator gave."""

from __future__ import annotations

from typing import Any

from services.referral.domain.lifecycle import FHIR_BUSINESS_STATUS, FHIR_STATUS, STATUS_LABELS
from services.referral.domain.referral import Referral
from shared.clock import as_utc

SYSTEM_BASE = "https://tsunagi.example/fhir"


def _instant(value: Any) -> str:
    return as_utc(value).isoformat().replace("+00:00", "Z")


def as_fhir_task(referral: Referral, agency_name: str | None) -> dict[str, Any]:
    task: dict[str, Any] = {
        "resourceType": "Task",
        "id": referral.id,
        "identifier": [{"system": f"{SYSTEM_BASE}/referral-id", "value": referral.id}],
        "basedOn": [{"identifier": {"system": f"{SYSTEM_BASE}/case-number", "value": referral.case_number}}],
        "status": FHIR_STATUS[referral.status],
        "intent": "order",
        "priority": {"緊急": "stat", "高": "urgent"}.get(referral.urgency, "routine"),
        "code": {"coding": [{"system": "http://hl7.org/fhir/CodeSystem/task-code", "code": "fulfill"}]},
        "authoredOn": _instant(referral.requested_at),
        "lastModified": _instant(referral.updated_at),
        "requester": {"identifier": {"system": f"{SYSTEM_BASE}/area", "value": referral.area}},
        "owner": {
            "identifier": {"system": f"{SYSTEM_BASE}/agency-id", "value": referral.agency_id},
            **({"display": agency_name} if agency_name else {}),
        },
        "meta": {"versionId": str(referral.version)},
    }
    business = FHIR_BUSINESS_STATUS.get(referral.status)
    task["businessStatus"] = {
        "coding": [{"system": f"{SYSTEM_BASE}/referral-status", "code": business or referral.status.value}],
        "text": STATUS_LABELS[referral.status],
    }
    if referral.reason and referral.status.value in ("declined", "cancelled", "failed", "on_hold"):
        task["statusReason"] = {"text": referral.reason}
    if referral.decide_by is not None:
        task["restriction"] = {"period": {"end": _instant(referral.decide_by)}}
    return task
