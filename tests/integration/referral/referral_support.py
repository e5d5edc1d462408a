"""Helpers for the referral service's integration tests: feed its consumer the way
the case service's outbox relay does, and read what it publishes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import redis.asyncio as aioredis
from faststream.redis import RedisBroker

from shared.events import Actor, Envelope, ReferralRequested, new_event_id, stream_for
from shared.events.case import CaseMoved, ConsentRecorded
from shared.messaging.streams import headers_of
from shared.settings import Settings
from tests.support.services import opened_entry

STREAM = "tsunagi.referral"
COORDINATOR = Actor(role="coordinator", id="csw-chubu-1")

PERSONAL = {
    "person_name": "サンプル西東京花子",
    "approximate_place": "サンプル町3丁目の角",
    "household": [{"relation": "長男", "age_group": "50代", "note": "ひきこもり気味"}],
    "noticed": "郵便受けに新聞がたまっている",
}
NON_PERSONAL = {"age_group": "80代", "categories": ["高齢", "社会的孤立"], "school_district": "SD06"}


def requested(
    referral_id: str | None = None,
    *,
    agency_id: str = "hc-3",
    area: str = "中部",
    shared: dict[str, Any] | None = None,
    consent: str = "同意あり",
    urgency: str = "通常",
    occurred_at: datetime | None = None,
    case_id: str = "CASE01",
) -> Envelope:
    referral_id = referral_id or new_event_id()
    payload = ReferralRequested(
        referral_id=referral_id,
        case_id=case_id,
        case_number="C-2611-0007",
        area=area,
        agency_id=agency_id,
        purpose="介護保険サービスの利用について相談したい",
        urgency=urgency,
        shared=shared if shared is not None else {**NON_PERSONAL, **PERSONAL},
        consent=consent,
    )
    return Envelope.wrap(
        payload,
        aggregate_id=referral_id,
        actor=COORDINATOR,
        correlation_id=new_event_id(),
        case_id=case_id,
        occurred_at=occurred_at,
    )


async def publish(settings: Settings, *envelopes: Envelope) -> None:
    broker = RedisBroker(settings.redis_url)
    await broker.connect()
    try:
        for envelope in envelopes:
            await broker.publish(
                envelope,
                stream=stream_for(envelope.type),
                headers=headers_of(envelope),
                correlation_id=envelope.correlation_id,
            )
    finally:
        await broker.stop()


async def published(settings: Settings, *, referral_id: str | None = None) -> list[Envelope]:
    """What the referral service published (everything on the stream but the requests)."""
    client = aioredis.Redis.from_url(settings.redis_url)
    try:
        entries = await client.xrange(STREAM)
    finally:
        await client.aclose()
    found = [opened_entry(fields) for _id, fields in entries]
    return [
        e for e in found if e.type != "referral.requested" and (referral_id is None or e.aggregate_id == referral_id)
    ]


def case_moved(case_id: str, from_area: str, to_area: str) -> Envelope:
    return Envelope.wrap(
        CaseMoved(case_id=case_id, from_area=from_area, to_area=to_area),
        aggregate_id=case_id,
        actor=COORDINATOR,
        correlation_id=new_event_id(),
        case_id=case_id,
    )


def consent_recorded(case_id: str, consent: str, *, legal_ground_recorded: bool = False) -> Envelope:
    return Envelope.wrap(
        ConsentRecorded(case_id=case_id, consent=consent, legal_ground_recorded=legal_ground_recorded),
        aggregate_id=case_id,
        actor=COORDINATOR,
        correlation_id=new_event_id(),
        case_id=case_id,
    )
