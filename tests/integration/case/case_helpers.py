"""Helpers for the case service's integration tests: consultations through intake,
agency moves published onto the real referral stream the way the relay does."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx
from faststream.redis import RedisBroker

from shared.clock import Clock
from shared.events import AccountCreated, Actor, Envelope, EventPayload, new_event_id
from shared.events.account import AccountGrant
from shared.messaging.streams import headers_of
from shared.settings import PROJECT_ROOT, Settings
from tests.support.services import bearer, eventually

EXAMPLE: dict[str, Any] = json.loads((PROJECT_ROOT / "examples" / "consultation.json").read_text(encoding="utf-8"))


def consultation(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(EXAMPLE)
    body.update(changes)
    return body


def coordinator(settings: Settings, area: str = "中部", subject: str = "csw-chubu-1") -> dict[str, str]:
    return bearer(settings, "coordinator", area, subject)


def supervisor(settings: Settings) -> dict[str, str]:
    return bearer(settings, "supervisor", "city", "sv-1")


async def submit(intake: httpx.AsyncClient, settings: Settings, body: dict[str, Any], reporter: str = "vol-1") -> str:
    created = await intake.post("/v1/consultations", json=body, headers=bearer(settings, "reporter", reporter))
    assert created.status_code == 201, created.text
    return created.json()["reference"]


async def case_of(
    case: httpx.AsyncClient, settings: Settings, reference: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """Waits until the consultation with this reference is part of a visible case."""
    headers = headers or supervisor(settings)

    async def find() -> dict[str, Any] | None:
        listing = await case.get("/v1/cases", headers=headers, params={"per_page": 100})
        assert listing.status_code == 200, listing.text
        for item in listing.json()["items"]:
            detail = (await case.get(f"/v1/cases/{item['id']}", headers=headers)).json()
            if any(c["reference"] == reference for c in detail["consultations"]):
                return detail
        return None

    return await eventually(find, what=f"a case holding {reference}")


async def detail(case: httpx.AsyncClient, headers: dict[str, str], case_id: str) -> dict[str, Any]:
    answer = await case.get(f"/v1/cases/{case_id}", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def post(
    case: httpx.AsyncClient, path: str, headers: dict[str, str], body: dict[str, Any], expected: int = 200
) -> Any:
    """POSTs ``body`` and returns the answer's JSON, failing unless it is ``expected``."""
    answer = await case.post(path, headers=headers, json=body)
    assert answer.status_code == expected, answer.text
    return answer.json()


async def publish(
    settings: Settings,
    payload: EventPayload,
    *,
    case_id: str,
    actor: Actor | None = None,
    envelope: Envelope | None = None,
) -> Envelope:
    """Publish an event as another service's relay would (FastStream binary format)."""
    envelope = envelope or Envelope.wrap(
        payload,
        aggregate_id=getattr(payload, "referral_id", case_id),
        actor=actor or Actor(role="agency", id="hc-3"),
        correlation_id="test-correlation",
        case_id=case_id,
    )
    async with RedisBroker(settings.redis_url) as broker:
        await broker.publish(
            envelope,
            stream=f"tsunagi.{envelope.family}",
            headers=headers_of(envelope),
            correlation_id=envelope.correlation_id,
        )
    return envelope


async def timeline_types(case: httpx.AsyncClient, headers: dict[str, str], case_id: str) -> list[str]:
    answer = await case.get(f"/v1/cases/{case_id}/timeline", headers=headers)
    assert answer.status_code == 200, answer.text
    return [e["type"] for e in answer.json()["items"]]


async def close_case(
    case: httpx.AsyncClient,
    settings: Settings,
    case_id: str,
    headers: dict[str, str],
    version: int,
    reason: str | None = None,
) -> int:
    """Close the case; with work still open (a referral, a watch plan) the close waits for
    a supervisor, who approves it here. Returns the case's version once closed."""
    closing = {"to": "終結", "reason": reason, "version": version}
    answer = await case.post(f"/v1/cases/{case_id}/status", headers=headers, json=closing)
    if answer.status_code == 200:
        return int(answer.json()["version"])
    assert answer.status_code == 409 and answer.json().get("approval_required"), answer.text
    move = answer.json()["approval_required"]
    body = {"move": move, "reason": "サンプル: 終結する", "status_reason": reason, "version": version}
    asked = await case.post(f"/v1/cases/{case_id}/approvals", headers=headers, json=body)
    assert asked.status_code == 201, asked.text
    decision = {"decision": "approve", "reason": "サンプル: 承認"}
    sv = bearer(settings, "supervisor", "city", "sv-1")
    done = await case.post(f"/v1/approvals/{asked.json()['approval_id']}/decision", headers=sv, json=decision)
    assert done.status_code == 200 and done.json()["status"] == "carried_out", done.text
    current = await case.get(f"/v1/cases/{case_id}", headers=headers)
    return int(current.json()["version"])


def account_created(account_id: str, area: str, clock: Clock) -> Envelope:
    """What the console's relay publishes when a coordinator's account is created."""
    return Envelope.wrap(
        AccountCreated(account_id=account_id, disabled=False, grants=[AccountGrant(role="coordinator", scope=area)]),
        aggregate_id=account_id,
        actor=Actor(role="system", id="cli"),
        correlation_id=new_event_id(),
        occurred_at=clock.now(),
    )


async def known_account(case: httpx.AsyncClient, clock: Clock, account_id: str) -> None:
    """Waits until the case service applied the account and this process's registry read it
    (refreshed here rather than waiting for ``access_refresh_s``)."""
    runtime = case.app.state.services.runtime  # type: ignore[attr-defined]

    async def known() -> bool:
        await runtime.access.refresh(runtime.engine, runtime.access_tables, clock.now())
        return bool(runtime.access.knows(account_id))

    await eventually(known, what=f"the case service knows {account_id}")
