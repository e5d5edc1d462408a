"""The official AsyncAPI 3.0.0 JSON schema (vendored, see README.md beside it) as a validator."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator

SCHEMA = Path(__file__).with_name("asyncapi-3.0.0.schema.json")


@functools.cache
def _validator() -> Draft7Validator:
    return Draft7Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))


def asyncapi_errors(document: dict[str, Any]) -> list[str]:
    """Where ``document`` breaks the AsyncAPI 3.0.0 schema (empty: it is valid)."""
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message[:300]}"
        for error in _validator().iter_errors(document)
    ]


def unresolved_refs(document: dict[str, Any]) -> list[str]:
    """Every local ``$ref`` that points at nothing in ``document``."""
    missing = []

    def resolves(pointer: str) -> bool:
        node: Any = document
        for part in pointer.removeprefix("#/").split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
        return True

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and not resolves(ref):
                missing.append(ref)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    return missing
