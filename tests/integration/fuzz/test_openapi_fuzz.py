"""Issue 19: no input gives a 5xx. Schemathesis generates requests from each service's
OpenAPI document (valid and invalid ones, each with a coordinator's, a supervisor's, a
reporter's or an agency's token) and sends them to the four services running in-process
on SQLite and on PostgreSQL, with one consultation, its case and a referral in them (path parameters are
sometimes their real ids). A 5xx, or an answer its document does not declare (status
body schema, content type), fails the test.

The budget is small and the seed fixed (``make test``); ``make fuzz`` runs many more
examples (3 × TSUNAGI_FUZZ_EXAMPLES an operation) with TSUNAGI_FUZZ_SEED."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance
from schemathesis.core.failures import FailureGroup

from tests.support.seeded import CALLERS, seed_one_referral
from tests.support.services import bearer, running_service

EXAMPLES = int(os.environ.get("TSUNAGI_FUZZ_EXAMPLES", "3"))
SEED = int(os.environ.get("TSUNAGI_FUZZ_SEED", "19"))
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
SERVICES = ("intake", "case", "referral", "notify")

# Known exclusions: operation label -> why. None today; add one only with its reason.
EXCLUDED: dict[str, str] = {}


def _strategy(operation: Any, known: dict[str, list[str]]) -> st.SearchStrategy:
    modes = [operation.as_strategy(mode) for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]
    names = [p.name for p in operation.path_parameters] if hasattr(operation, "path_parameters") else []
    if names and all(name in known for name in names):
        # Random ids are all 404s: also aim at the seeded ones.
        real = {name: known[name][0] for name in names}
        modes.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=real))
    return st.one_of(modes)


def _fuzz(
    schema: Any,
    client: httpx.AsyncClient,
    loop: asyncio.AbstractEventLoop,
    tokens: dict[str, dict[str, str]],
    known: dict[str, list[str]],
) -> list[str]:
    """Runs in a worker thread: hypothesis drives, the service answers in the test's loop."""
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label in EXCLUDED:
            continue

        @seed(SEED)
        @settings(max_examples=EXAMPLES * 3, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(case=_strategy(operation, known), role=st.sampled_from(sorted(tokens)))
        def check(case: Any, role: str) -> None:
            kwargs = case.as_transport_kwargs(base_url=str(client.base_url), headers=tokens[role])
            response = asyncio.run_coroutine_threadsafe(_send(client, kwargs), loop).result(timeout=30)
            case.validate_response(response, checks=CHECKS)

        try:
            check()
        # FailureGroup is a BaseExceptionGroup: caught too, so every operation is tried and all reported.
        except (Exception, FailureGroup) as exc:
            failures.append(f"{operation.label}: {exc}")
    return failures


async def _send(client: httpx.AsyncClient, kwargs: dict[str, Any]) -> httpx.Response:
    """Schemathesis's requests-style arguments, sent with httpx."""
    for unused in ("timeout", "allow_redirects", "verify"):
        kwargs.pop(unused, None)
    if not kwargs.get("cookies"):
        kwargs.pop("cookies", None)
    data = kwargs.pop("data", None)
    if isinstance(data, (bytes, str)):
        kwargs["content"] = data
    elif data is not None:
        kwargs["data"] = data
    return await client.request(**kwargs)


async def test_no_generated_request_gets_a_5xx_or_an_undeclared_answer(make_settings, database_backend) -> None:
    settings = make_settings()
    tokens = {role: bearer(settings, role, scope, subject) for role, (scope, subject) in CALLERS.items()}
    async with (
        running_service("intake", settings) as intake,
        running_service("case", settings) as case,
        running_service("referral", settings) as referral,
        running_service("notify", settings) as notify,
    ):
        clients = {"intake": intake, "case": case, "referral": referral, "notify": notify}
        known = await seed_one_referral(clients, settings)
        failures = []
        for service in SERVICES:
            client = clients[service]
            schema = schemathesis.openapi.from_dict(client.app.openapi())  # type: ignore[attr-defined]
            failures += [
                f"{service} {f}"
                for f in await asyncio.to_thread(_fuzz, schema, client, asyncio.get_running_loop(), tokens, known)
            ]
    assert not failures, "\n\n".join(failures)
