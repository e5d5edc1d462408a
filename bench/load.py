"""A bounded async load generator: at most ``concurrency`` requests in flight, either
at full speed or starting one request every ``1/rate`` seconds (open loop: a slow
answer does not delay the next start, the concurrency bound aside).

It uses aiohttp, not httpx: it shares the 2 cores with the system under test, and
aiohttp costs about a third of httpx's CPU per request, so less of the machine goes to
the measuring (its CPU per case is in the results as "load generator")."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass

import aiohttp


@dataclass
class Submission:
    index: int
    sent_at: float  # wall clock (time.time()), comparable with Redis entry ids
    answered_at: float
    status: int
    reference: str | None
    error: str | None = None


async def submit_all(
    intake_url: str,
    bodies: list[dict],
    tokens: list[str],
    *,
    concurrency: int,
    rate: float | None = None,
    timeout: float = 30.0,
    accepted: dict[int, str] | None = None,
) -> list[Submission]:
    """Sends every body; ``accepted`` (if given) fills with index → reference as 201s arrive."""
    results: list[Submission] = []
    slots = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    async with aiohttp.ClientSession(base_url=intake_url, connector=connector, timeout=client_timeout) as client:

        async def one(i: int, body: dict) -> None:
            try:
                headers = {"authorization": f"Bearer {tokens[i % len(tokens)]}"}
                sent = time.time()
                try:
                    async with client.post("/v1/consultations", json=body, headers=headers) as response:
                        status = response.status
                        text = await response.text()
                except (aiohttp.ClientError, TimeoutError) as exc:
                    results.append(Submission(i, sent, time.time(), 0, None, f"{type(exc).__name__}: {exc}"))
                    return
                answered = time.time()
                reference = json.loads(text).get("reference") if status == 201 else None
                error = None if status == 201 else text[:300]
                if reference and accepted is not None:
                    accepted[i] = reference
                results.append(Submission(i, sent, answered, status, reference, error))
            finally:
                slots.release()

        tasks = []
        start = time.monotonic()
        for i, body in enumerate(bodies):
            if rate:
                delay = start + i / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            await slots.acquire()
            tasks.append(asyncio.create_task(one(i, body)))
        await asyncio.gather(*tasks)
    return sorted(results, key=lambda s: s.index)
