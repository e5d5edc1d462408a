"""Helpers of the figures-by-period tests: a case opened at a moment, its first contact
some hours later, the figures as the supervisor reads them."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from case_helpers import case_of, consultation, submit

from shared.clock import FrozenClock
from shared.settings import Settings


async def ok(answer: httpx.Response, expected: int = 200) -> dict:
    assert answer.status_code == expected, answer.text
    return answer.json()


async def open_case_at(
    intake: httpx.AsyncClient,
    case: httpx.AsyncClient,
    settings: Settings,
    clock: FrozenClock,
    at: datetime,
    headers: dict,
    **changes: object,
) -> dict:
    clock.at = at
    return await case_of(case, settings, await submit(intake, settings, consultation(**changes)), headers)


async def contact_after(
    case: httpx.AsyncClient, clock: FrozenClock, opened: dict, hours: float, headers: dict, subject: str
) -> int:
    """Assign the case, then record its first contact ``hours`` after it was opened."""
    path = f"/v1/cases/{opened['id']}"
    version = (
        await ok(
            await case.post(
                f"{path}/assignment", headers=headers, json={"coordinator_id": subject, "version": opened["version"]}
            )
        )
    )["version"]
    clock.advance(timedelta(hours=hours))
    return (
        await ok(
            await case.post(
                f"{path}/contacts",
                headers=headers,
                json={"channel": "電話", "whom": "本人", "outcome": "サンプル: 様子を聞いた", "version": version},
            ),
            201,
        )
    )["version"]


async def figures_of(case: httpx.AsyncClient, headers: dict, **params: str) -> dict:
    return await ok(await case.get("/v1/figures", headers=headers, params=params))
