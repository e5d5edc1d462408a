"""A small world for tests that probe every endpoint: one consultation by reporter vol-1,
its case in 中部 assigned to csw-chubu-1, a referral of it to hc-3 and the notification
that follows (the fuzz test and the access matrix share it)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from shared.settings import PROJECT_ROOT, Settings
from tests.support.services import bearer, eventually

EXAMPLE = json.loads((PROJECT_ROOT / "examples" / "consultation.json").read_text(encoding="utf-8"))

# The seeded world's own people: (scope, subject) per role.
CALLERS = {
    "coordinator": ("中部", "csw-chubu-1"),
    "supervisor": ("city", "sv-1"),
    "reporter": ("vol-1", "vol-1"),
    "agency": ("hc-3", "hc-3"),
}


async def seed_one_referral(clients: dict[str, httpx.AsyncClient], settings: Settings) -> dict[str, list[str]]:
    """One consultation, its case, a referral of it to hc-3 and the notifications that follow."""
    coordinator = bearer(settings, "coordinator", *CALLERS["coordinator"])
    created = await clients["intake"].post(
        "/v1/consultations", json=EXAMPLE, headers=bearer(settings, "reporter", *CALLERS["reporter"])
    )
    assert created.status_code == 201, created.text
    reference = created.json()["reference"]

    async def opened() -> dict[str, Any] | None:
        items = (await clients["case"].get("/v1/cases", headers=coordinator)).json()["items"]
        return items[0] if items else None

    case = await eventually(opened, what="the seeded case")
    assigned = await clients["case"].post(
        f"/v1/cases/{case['id']}/assignment",
        headers=coordinator,
        json={"coordinator_id": "csw-chubu-1", "version": case["version"]},
    )
    assert assigned.status_code == 200, assigned.text
    referred = await clients["case"].post(
        f"/v1/cases/{case['id']}/referrals",
        headers=coordinator,
        json={
            "agency_id": "hc-3",
            "purpose": "訪問をお願いします",
            "share": ["age_group", "categories"],
            "version": assigned.json()["version"],
        },
    )
    assert referred.status_code == 201, referred.text
    referral_id = referred.json()["referral_id"]
    agency = bearer(settings, "agency", *CALLERS["agency"])
    await eventually(
        lambda: _ok(clients["referral"].get(f"/v1/referrals/{referral_id}", headers=agency)), what="the seeded referral"
    )
    inbox = await eventually(
        lambda: _items(clients["notify"].get("/v1/notifications", headers=agency)), what="a notification to hc-3"
    )
    return {
        "reference": [reference],
        "case_id": [case["id"]],
        "into_case_id": [case["id"]],
        "referral_id": [referral_id],
        "agency_id": ["hc-3"],
        "notification_id": [n["id"] for n in inbox],
    }


async def _ok(request: Any) -> bool:
    return (await request).status_code == 200


async def _items(request: Any) -> list[dict[str, Any]]:
    return (await request).json().get("items", [])
