"""The committed AsyncAPI documents (docs/asyncapi/) against the code: a contract that
changes without its document fails here. Each service's consumed types come from its
own event handlers (built, not started: no Redis, no database)."""

from __future__ import annotations

import difflib
import json

import pytest

from shared.asyncapi.committed import DOCS_DIR, consumed_types, generated_files
from shared.events import EVENT_TYPES
from shared.settings import SERVICES
from tests.support.asyncapi import asyncapi_errors, unresolved_refs

REGENERATE = "regenerate with `make asyncapi` (tsunagi asyncapi --write) and commit docs/asyncapi/"


@pytest.fixture(scope="module")
def consumed() -> dict[str, list[str]]:
    return consumed_types()


@pytest.fixture(scope="module")
def generated(consumed: dict[str, list[str]]) -> dict[str, str]:
    return generated_files(consumed)


def test_every_type_a_service_consumes_is_published_by_another(consumed: dict[str, list[str]]) -> None:
    for service, types in consumed.items():
        for event_type in types:
            assert event_type in EVENT_TYPES, f"{service} applies {event_type}, which no contract declares"
            publisher = EVENT_TYPES[event_type].PUBLISHER
            assert publisher in SERVICES and publisher != service, f"{service} applies {event_type}"


def test_the_committed_documents_match_the_contracts(generated: dict[str, str]) -> None:
    assert sorted(generated) == sorted([*(f"{s}.json" for s in SERVICES), "events.md"])
    for name, text in generated.items():
        path = DOCS_DIR / name
        assert path.exists(), f"docs/asyncapi/{name} is missing: {REGENERATE}"
        committed = path.read_text(encoding="utf-8")
        if committed != text:
            diff = "".join(
                list(
                    difflib.unified_diff(
                        committed.splitlines(True), text.splitlines(True), f"committed/{name}", f"generated/{name}"
                    )
                )[:60]
            )
            pytest.fail(f"docs/asyncapi/{name} differs from the contracts: {REGENERATE}\n{diff}")


@pytest.mark.parametrize("service", SERVICES)
def test_each_committed_document_is_valid_asyncapi_3(service: str) -> None:
    document = json.loads((DOCS_DIR / f"{service}.json").read_text(encoding="utf-8"))
    assert asyncapi_errors(document) == []
    assert unresolved_refs(document) == []
