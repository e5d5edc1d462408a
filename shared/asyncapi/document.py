"""One service's AsyncAPI 3.0 document, generated from the event contracts.

Built from ``EVENT_TYPES`` (each payload class: ``TYPE``, ``VERSION``, ``AGGREGATE``,
``PUBLISHER``), the ``Envelope`` and the event types the service's ``EventHandlers``
apply. FastStream's own AsyncAPI generation is not used: the subscribers take
XREADGROUP's raw reply (``shared/messaging/subscription.py``), so FastStream sees one
untyped message per stream and cannot tell the event types, versions or publishers apart.

Shape: a channel per stream the service sends to or receives from, listing every event
type of that stream; a ``send`` operation per stream it publishes to and a ``receive``
operation per stream it consumes (``x-consumer-group``: the service's group), each naming
only its own types; a message per type whose payload is the envelope with ``payload``
pointing at the event's schema."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from pydantic.json_schema import models_json_schema

from shared.events import EVENT_TYPES, Envelope, EventPayload, stream_for

ASYNCAPI_VERSION = "3.0.0"
DOCUMENT_VERSION = "1"
SCHEMAS = "#/components/schemas/"


def published_by(service: str) -> list[str]:
    """The event types ``service`` publishes, as their contracts declare."""
    return sorted(t for t, cls in EVENT_TYPES.items() if cls.PUBLISHER == service)


def asyncapi_document(service: str, consumes: Iterable[str]) -> dict[str, Any]:
    """The document for ``service``, which applies the event types ``consumes``."""
    received = sorted(set(consumes))
    unknown = [t for t in received if t not in EVENT_TYPES]
    if unknown:
        raise ValueError(f"{service} consumes event types no contract declares: {unknown}")
    sent = published_by(service)
    streams = sorted({stream_for(t) for t in sent + received})
    carried = sorted(t for t in EVENT_TYPES if stream_for(t) in streams)
    operations: dict[str, Any] = {}
    for action, types in (("send", sent), ("receive", received)):
        for stream in sorted({stream_for(t) for t in types}):
            operations[f"{action}.{stream}"] = _operation(
                service, action, stream, [t for t in types if stream_for(t) == stream]
            )
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": f"Tsunagi {service}: events",
            "version": DOCUMENT_VERSION,
            "description": (
                f"The Redis streams the {service} service publishes to and consumes, generated "
                "from the event contracts in shared/events/. Every event travels in one envelope; "
                "each consuming service reads a stream as one consumer group named after itself."
            ),
        },
        "servers": {"redis": _SERVER},
        "defaultContentType": "application/json",
        "channels": {stream: _channel(stream, [t for t in carried if stream_for(t) == stream]) for stream in streams},
        "operations": operations,
        "components": {
            "schemas": _schemas([EVENT_TYPES[t] for t in carried]),
            "messages": {t: _message(EVENT_TYPES[t]) for t in carried},
        },
    }


def document_json(document: dict[str, Any]) -> str:
    """The committed and served form: stable key order, readable Japanese."""
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


_SERVER = {
    "host": "{host}",
    "protocol": "redis",
    "title": "Redis Streams",
    "description": "The Redis all services share (TSUNAGI_REDIS_URL). Each stream entry's `__data__` field "
    "holds FastStream's binary message format: the headers below and the JSON envelope.",
    "variables": {"host": {"description": "host:port of TSUNAGI_REDIS_URL"}},
}


def _channel(stream: str, types: list[str]) -> dict[str, Any]:
    family = stream.removeprefix("tsunagi.")
    publishers = sorted({EVENT_TYPES[t].PUBLISHER for t in types})
    return {
        "address": stream,
        "title": stream,
        "description": (f"The {family} family's stream: every {family}.* event. Published by {', '.join(publishers)}."),
        "servers": [{"$ref": "#/servers/redis"}],
        "messages": {t: {"$ref": f"#/components/messages/{t}"} for t in types},
    }


def _operation(service: str, action: str, stream: str, types: list[str]) -> dict[str, Any]:
    if action == "send":
        summary = f"{service} publishes these events to {stream} (through its outbox)."
        extra: dict[str, Any] = {}
    else:
        summary = (
            f"{service} applies these events from {stream}, as consumer group {service!r}; "
            "the stream's other events are acknowledged unapplied."
        )
        extra = {"x-consumer-group": service}
    return {
        "action": action,
        "channel": {"$ref": f"#/channels/{stream}"},
        "title": f"{service} {action}s on {stream}",
        "summary": summary,
        "messages": [{"$ref": f"#/channels/{stream}/messages/{t}"} for t in types],
        **extra,
    }


def _message(cls: type[EventPayload]) -> dict[str, Any]:
    message: dict[str, Any] = {
        "name": cls.TYPE,
        "title": f"{cls.TYPE} v{cls.VERSION}",
        "summary": f"{cls.__name__}, published by {cls.PUBLISHER}.",
        "contentType": "application/json",
        "headers": {
            "type": "object",
            "properties": {
                "event_type": {"const": cls.TYPE},
                "event_id": {"type": "string"},
                "schema_version": {"const": str(cls.VERSION)},
            },
        },
        "payload": {
            "allOf": [
                {"$ref": f"{SCHEMAS}Envelope"},
                {
                    "type": "object",
                    "properties": {
                        "type": {"const": cls.TYPE},
                        "schema_version": {"const": cls.VERSION},
                        "aggregate_type": {"const": cls.AGGREGATE},
                        "payload": {"$ref": f"{SCHEMAS}{cls.__name__}"},
                    },
                },
            ],
        },
        "correlationId": {"location": "$message.payload#/correlation_id"},
        "x-event-type": cls.TYPE,
        "x-schema-version": cls.VERSION,
        "x-aggregate": cls.AGGREGATE,
        "x-publisher": cls.PUBLISHER,
    }
    if cls.__doc__:
        message["description"] = " ".join(cls.__doc__.split())
    return message


def _schemas(payloads: list[type[EventPayload]]) -> dict[str, Any]:
    """Envelope and payload schemas from pydantic (as published: serialization mode), with
    nested models hoisted beside them so every ``$ref`` points into components."""
    models: list[Any] = [(Envelope, "serialization"), *((cls, "serialization") for cls in payloads)]
    _keys, top = models_json_schema(models, ref_template=SCHEMAS + "{model}")
    defs = top.get("$defs", {})
    names = {cls.__name__ for cls in payloads} | {"Envelope"}
    if not names <= defs.keys():
        raise ValueError(f"schema names differ from class names: {sorted(names - defs.keys())}")
    return {name: defs[name] for name in sorted(defs)}
