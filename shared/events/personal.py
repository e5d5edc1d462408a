"""Which fields of an event's payload are personal: names, furigana, places, notes,
household details, free text. A contract marks them where it declares them
(``Annotated[str, PERSONAL]``, or the ``PersonalText`` shorthands), so the list lives
with the contract.

On the way out, the unit of work seals every marked field with the key ring
(``seal_payload``) as it writes the outbox row: the stream carries the same ciphertext,
and the envelope and identifiers stay readable. On the way in, ``Envelope.payload_as``
opens the marked fields of the model the handler asks for, with the ring the consumer
decoded the entry with — the one point where a handler starts to use the payload.
Values that were never sealed (events made in this process, or written before sealing
existed) pass through unchanged."""

from __future__ import annotations

import types
from collections.abc import Callable
from functools import cache
from typing import Annotated, Any, Protocol, Union, get_args, get_origin

from pydantic import BaseModel, GetCoreSchemaHandler, GetJsonSchemaHandler, ValidationInfo
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema


class Sealer(Protocol):
    """What sealing and opening need of the key ring (shared/keyring.py)."""

    def seal(self, value: Any) -> str: ...

    def open(self, token: str) -> Any: ...


SEALED_PREFIX = "tsk1."


class _Personal:
    """The marker. Validation opens a sealed value with the ``keys`` in the validation
    context; the JSON schema says the field travels sealed."""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.with_info_before_validator_function(_open, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["x-personal"] = True
        json_schema["description"] = "Personal: sealed on the stream (tsk1.<key id>.<AES-GCM of its JSON>)."
        return json_schema

    def __repr__(self) -> str:
        return "PERSONAL"


PERSONAL = _Personal()

PersonalText = Annotated[str, PERSONAL]
OptionalPersonalText = Annotated[str | None, PERSONAL]


def _open(value: Any, info: ValidationInfo) -> Any:
    if not (isinstance(value, str) and value.startswith(SEALED_PREFIX)):
        return value
    keys: Sealer | None = (info.context or {}).get("keys")
    if keys is None:
        raise ValueError("a sealed personal field, and no key ring to open it (decode the entry with the ring)")
    return keys.open(value)  # KeyRingError is a ValueError: a validation error naming the field


def open_tree(value: Any, keys: Sealer | None) -> Any:
    """Every sealed value anywhere inside ``value`` (dicts, lists) opened with ``keys``."""
    if isinstance(value, str) and value.startswith(SEALED_PREFIX):
        if keys is None:
            raise ValueError("a sealed personal value, and no key ring to open it")
        return keys.open(value)
    if isinstance(value, dict):
        return {k: open_tree(v, keys) for k, v in value.items()}
    if isinstance(value, list):
        return [open_tree(v, keys) for v in value]
    return value


def _nested_models(annotation: Any) -> tuple[type[BaseModel], bool] | None:
    """The model inside a field's type (``M``, ``M | None``, ``list[M]``) and whether it is a list."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        for arg in get_args(annotation):
            if arg is not type(None):
                return _nested_models(arg)
        return None
    if origin is list:
        inner = _nested_models(get_args(annotation)[0])
        return (inner[0], True) if inner else None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    return None


@cache
def personal_fields(model: type[BaseModel]) -> dict[str, Any]:
    """The model's personal fields as a tree: ``{name: True}`` for a marked field,
    ``{name: (subtree, is_list)}`` for a nested model that has some."""
    tree: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        if any(isinstance(m, _Personal) for m in field.metadata):
            tree[name] = True
            continue
        nested = _nested_models(field.annotation)
        if nested is not None:
            subtree = personal_fields(nested[0])
            if subtree:
                tree[name] = (subtree, nested[1])
    return tree


def personal_paths(model: type[BaseModel]) -> list[str]:
    """``person.name``, ``household[].note``, … — for documentation and tests."""

    def walk(tree: dict[str, Any], prefix: str) -> list[str]:
        paths: list[str] = []
        for name, node in tree.items():
            if node is True:
                paths.append(prefix + name)
            else:
                subtree, is_list = node
                paths += walk(subtree, f"{prefix}{name}{'[]' if is_list else ''}.")
        return paths

    return walk(personal_fields(model), "")


def _map_personal(model: type[BaseModel], payload: dict[str, Any], change: Callable[[Any], Any]) -> dict[str, Any]:
    """A copy of the JSON payload with ``change`` applied to every personal value of ``model`` (None stays None)."""

    def walk(tree: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        out = dict(data)
        for name, node in tree.items():
            value = out.get(name)
            if value is None:
                continue
            if node is True:
                out[name] = change(value)
            elif node[1] and isinstance(value, list):
                out[name] = [walk(node[0], item) if isinstance(item, dict) else item for item in value]
            elif isinstance(value, dict):
                out[name] = walk(node[0], value)
        return out

    tree = personal_fields(model)
    return walk(tree, payload) if tree else payload


def seal_payload(model: type[BaseModel], payload: dict[str, Any], keys: Sealer) -> dict[str, Any]:
    """A copy of the JSON payload with every personal field of ``model`` sealed (None stays None)."""
    return _map_personal(
        model, payload, lambda v: v if isinstance(v, str) and v.startswith(SEALED_PREFIX) else keys.seal(v)
    )


def erase_payload(model: type[BaseModel], payload: dict[str, Any]) -> dict[str, Any]:
    """A copy of the JSON payload with every personal field of ``model`` gone (None):
    retention's erasure of an event kept after publication (shared/messaging/erasure.py)."""
    return _map_personal(model, payload, lambda _v: None)
