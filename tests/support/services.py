"""Running services in-process for integration tests: real Redis, a real database
(SQLite file or a private PostgreSQL database), the real app with its lifespan (so its
consumers, relay and reclaim loop run), driven over HTTP with httpx."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx

from shared.clock import Clock
from shared.db.migrate import migrate
from shared.events import Envelope
from shared.identity import issue_token
from shared.keyring import KeyRing
from shared.messaging.streams import decode_entry
from shared.settings import Settings


def bearer(settings: Settings, role: str, scope: str, subject: str | None = None) -> dict[str, str]:
    return {"authorization": f"Bearer {issue_token(settings, role=role, scope=scope, subject=subject)}"}


@contextlib.asynccontextmanager
async def running_service(
    service: str, settings: Settings, clock: Clock | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """Migrate, build and start one service in this event loop; yields an HTTP client
    whose ``app`` attribute is the FastAPI app (``client.app.state.services``)."""
    import importlib

    await migrate(settings, service)
    module = importlib.import_module(f"services.{service}.bootstrap")
    app = module.build_app(settings, clock) if clock is not None else module.build_app(settings)
    async with app.router.lifespan_context(app):
        runtime = app.state.services.runtime
        await asyncio.wait_for(runtime.messaging_started.wait(), timeout=15)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=f"http://{service}.test"
        ) as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


async def eventually(
    check: Callable[[], Awaitable[Any]], *, timeout: float = 15.0, interval: float = 0.05, what: str = "condition"
) -> Any:
    """Poll ``check`` until it returns something truthy (its value is returned)."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = await check()
            if value:
                return value
        except AssertionError as exc:
            last_error = exc
        await asyncio.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}" + (f": {last_error}" if last_error else ""))


def opened_entry(fields: dict[bytes, bytes]) -> Envelope:
    """A stream entry as a consumer holding the test key ring reads it: the envelope with
    its sealed personal fields opened (the entry itself stays sealed)."""
    envelope = decode_entry(fields, KeyRing.for_tests())
    return envelope.model_copy(update={"payload": envelope.opened(envelope.payload)})
