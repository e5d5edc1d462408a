"""Helpers for notify's integration tests: events fed the way the other services'
relays publish them, what notify published, and its inbox over HTTP."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
import yaml
from faststream.redis import RedisBroker

from shared.clock import JST, as_utc
from shared.events import (
    SYSTEM,
    Actor,
    CaseOpened,
    Envelope,
    EventPayload,
    ReferralAccepted,
    ReferralAcknowledged,
    ReferralDeclined,
    ReferralReceived,
    ReferralRequested,
    ReferralStatusChanged,
    new_event_id,
    stream_for,
)
from shared.messaging.streams import decode_entry, headers_of
from shared.settings import PROJECT_ROOT, Settings
from tests.support.services import bearer

COORDINATOR = Actor(role="coordinator", id="csw-chubu-1")
AGENCY = Actor(role="agency", id="agency:hc-3")
AREA = "中部"

# Fast loops for tests; every deadline is moved by the injected clock, never by sleeping.
FAST = {
    "TSUNAGI_NOTIFY_FOLLOWUP_INTERVAL_S": "0.05",
    "TSUNAGI_NOTIFY_DELIVERY_INTERVAL_S": "0.05",
    "TSUNAGI_NOTIFY_DELIVERY_BACKOFF_S": "0.05",
    "TSUNAGI_NOTIFY_DELIVERY_BACKOFF_MAX_S": "0.2",
}


def fast_loops(monkeypatch: pytest.MonkeyPatch, **extra: str) -> None:
    for key, value in {**FAST, **extra}.items():
        monkeypatch.setenv(key, value)


def jst(*args: int) -> datetime:
    return as_utc(datetime(*args, tzinfo=JST))


def envelope(payload: EventPayload, *, actor: Actor, at: datetime, correlation_id: str | None = None) -> Envelope:
    return Envelope.wrap(
        payload,
        aggregate_id=getattr(payload, "referral_id", None) or payload.case_id,
        actor=actor,
        correlation_id=correlation_id or new_event_id(),
        case_id=payload.case_id,
        occurred_at=at,
    )


def case_opened(case_id: str, at: datetime, *, urgency: str = "通常", reporter_id: str = "vol-1") -> Envelope:
    return envelope(
        CaseOpened(
            case_id=case_id,
            case_number=f"C-{case_id[-4:]}",
            area=AREA,
            consultation_id=new_event_id(),
            reference="TSN-2611-ABCDEF",
            reporter_id=reporter_id,
            urgency=urgency,
            categories=["高齢"],
        ),
        actor=SYSTEM,
        at=at,
    )


def requested(
    referral_id: str, case_id: str, at: datetime, *, agency_id: str = "hc-3", urgency: str = "通常"
) -> Envelope:
    return envelope(
        ReferralRequested(
            referral_id=referral_id,
            case_id=case_id,
            case_number=f"C-{case_id[-4:]}",
            area=AREA,
            agency_id=agency_id,
            purpose="サンプルの依頼目的",
            urgency=urgency,
            shared={"person_name": "サンプル西東京花子"},
            consent="同意あり",
        ),
        actor=COORDINATOR,
        at=at,
    )


def agency_move(
    kind: str, referral_id: str, case_id: str, at: datetime, *, agency_id: str = "hc-3", **extra: Any
) -> Envelope:
    cls = {
        "received": ReferralReceived,
        "acknowledged": ReferralAcknowledged,
        "accepted": ReferralAccepted,
        "declined": ReferralDeclined,
        "status_changed": ReferralStatusChanged,
    }[kind]
    actor = COORDINATOR if extra.get("status") == "cancelled" else AGENCY
    return envelope(
        cls(referral_id=referral_id, case_id=case_id, agency_id=agency_id, area=AREA, **extra), actor=actor, at=at
    )


async def publish(settings: Settings, *envelopes: Envelope) -> None:
    broker = RedisBroker(settings.redis_url)
    await broker.connect()
    try:
        for e in envelopes:
            await broker.publish(e, stream=stream_for(e.type), headers=headers_of(e), correlation_id=e.correlation_id)
    finally:
        await broker.stop()


async def published(settings: Settings, family: str) -> list[Envelope]:
    client = aioredis.Redis.from_url(settings.redis_url)
    try:
        entries = await client.xrange(f"tsunagi.{family}")
    finally:
        await client.aclose()
    return [decode_entry(fields) for _id, fields in entries]


async def inbox(client: httpx.AsyncClient, settings: Settings, role: str, scope: str, **params: Any) -> dict[str, Any]:
    response = await client.get("/v1/notifications", params=params, headers=bearer(settings, role, scope))
    assert response.status_code == 200, response.text
    return response.json()


async def kinds(client: httpx.AsyncClient, settings: Settings, role: str, scope: str) -> list[str]:
    return sorted(item["kind"] for item in (await inbox(client, settings, role, scope))["items"])


def reference_with_channels(tmp_path: Path, agency_id: str, **fields: Any) -> Path:
    """A copy of the reference folder where one agency has extra channels."""
    folder = tmp_path / "reference"
    shutil.copytree(PROJECT_ROOT / "reference", folder)
    path = folder / "agencies.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for agency in data["agencies"]:
        if agency["id"] == agency_id:
            agency.update(fields)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return folder


def in_app_only_reference(tmp_path: Path) -> Path:
    """A copy of the reference folder where every agency uses the in-app inbox only
    (the sample directory gives some agencies email and webhook channels)."""
    folder = tmp_path / "reference-in-app"
    if folder.exists():
        return folder
    shutil.copytree(PROJECT_ROOT / "reference", folder)
    path = folder / "agencies.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for agency in data["agencies"]:
        agency["channels"] = ["in_app"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return folder


async def settle(notify: Any) -> int:
    """Run the timer once more ourselves: whatever is due has fired when this returns."""
    return int(await notify.app.state.services.timer.run_once())
