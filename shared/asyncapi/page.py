"""The AsyncAPI document as a page people read: server-rendered HTML (no script), its one
stylesheet served by the service itself. Everything shown is read from the document, so
the page and ``/asyncapi.json`` cannot disagree."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

HERE = Path(__file__).parent
STYLESHEET = HERE / "asyncapi.css"
_templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True, undefined=StrictUndefined)
_LITERAL = re.compile(r"``(.+?)``")


def prose(text: str) -> Markup:
    """A docstring's text with its ``literals`` as code; everything else escaped."""
    parts = _LITERAL.split(text)
    return Markup("").join(
        Markup("<code>{}</code>").format(part) if i % 2 else escape(part) for i, part in enumerate(parts)
    )


_templates.filters["prose"] = prose

ROLE_LABELS = {"send": "送信", "receive": "受信"}

# A type as text pieces; a piece with an anchor links to that schema's table.
TypeParts = list[tuple[str, str | None]]


@dataclass(frozen=True)
class FieldRow:
    name: str
    type: TypeParts
    required: bool
    default: str | None
    description: str


@dataclass(frozen=True)
class SchemaView:
    name: str
    anchor: str
    description: str
    fields: list[FieldRow]


@dataclass(frozen=True)
class MessageView:
    type: str
    anchor: str
    version: int
    stream: str
    aggregate: str
    publisher: str
    roles: list[str]  # what this service does with it: 送信 and/or 受信
    skipped: bool  # on a stream the service reads, but not applied (acknowledged only)
    description: str
    payload: SchemaView


@dataclass(frozen=True)
class OperationView:
    role: str
    stream: str
    group: str | None
    messages: list[MessageView]


@dataclass(frozen=True)
class ChannelView:
    stream: str
    description: str
    messages: list[MessageView]


def schema_anchor(name: str) -> str:
    return f"schema-{name}"


def message_anchor(event_type: str) -> str:
    return f"message-{event_type}"


def type_parts(schema: dict[str, Any]) -> TypeParts:
    """A JSON schema as a short type: ``string (date-time)``, ``array of Actor``, ``"a" | "b"``."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return [(name, schema_anchor(name))]
    if "anyOf" in schema:
        parts: TypeParts = []
        for i, option in enumerate(schema["anyOf"]):
            parts += ([(" | ", None)] if i else []) + type_parts(option)
        return parts
    if "enum" in schema:
        return [(" | ".join(json.dumps(v, ensure_ascii=False) for v in schema["enum"]), None)]
    if "const" in schema:
        return [(json.dumps(schema["const"], ensure_ascii=False), None)]
    kind = schema.get("type")
    if kind == "array":
        return [("array of ", None), *type_parts(schema.get("items", {}))]
    if kind is None:
        return [("any", None)]
    return [(f"{kind} ({schema['format']})" if "format" in schema else str(kind), None)]


def schema_view(name: str, schema: dict[str, Any]) -> SchemaView:
    required = set(schema.get("required", ()))
    rows = [
        FieldRow(
            name=field,
            type=type_parts(prop),
            required=field in required,
            default=json.dumps(prop["default"], ensure_ascii=False) if "default" in prop else None,
            description=" ".join(prop.get("description", "").split()),
        )
        for field, prop in schema.get("properties", {}).items()
    ]
    return SchemaView(
        name=name, anchor=schema_anchor(name), description=" ".join(schema.get("description", "").split()), fields=rows
    )


def _message_views(document: dict[str, Any]) -> dict[str, MessageView]:
    schemas = document["components"]["schemas"]
    roles: dict[str, list[str]] = {}
    read_streams = set()
    for operation in document["operations"].values():
        if operation["action"] == "receive":
            read_streams.add(operation["channel"]["$ref"].rsplit("/", 1)[-1])
        for ref in operation["messages"]:
            roles.setdefault(ref["$ref"].rsplit("/", 1)[-1], []).append(ROLE_LABELS[operation["action"]])
    views = {}
    for event_type, message in document["components"]["messages"].items():
        payload_name = message["payload"]["allOf"][1]["properties"]["payload"]["$ref"].rsplit("/", 1)[-1]
        stream = next(c["address"] for c in document["channels"].values() if event_type in c["messages"])
        views[event_type] = MessageView(
            type=event_type,
            anchor=message_anchor(event_type),
            version=message["x-schema-version"],
            stream=stream,
            aggregate=message["x-aggregate"],
            publisher=message["x-publisher"],
            roles=roles.get(event_type, []),
            skipped=stream in read_streams and event_type not in roles,
            description=message.get("description", ""),
            payload=schema_view(payload_name, schemas[payload_name]),
        )
    return views


def render_page(
    document: dict[str, Any], service: str, *, json_url: str = "asyncapi.json", css_url: str = "asyncapi.css"
) -> str:
    """Links are relative, so the page works behind a proxy's path prefix too."""
    messages = _message_views(document)
    operations = [
        OperationView(
            role=ROLE_LABELS[op["action"]],
            stream=op["channel"]["$ref"].rsplit("/", 1)[-1],
            group=op.get("x-consumer-group"),
            messages=[messages[ref["$ref"].rsplit("/", 1)[-1]] for ref in op["messages"]],
        )
        for op in document["operations"].values()
    ]
    channels = [
        ChannelView(
            stream=channel["address"],
            description=channel.get("description", ""),
            messages=[messages[t] for t in channel["messages"]],
        )
        for channel in document["channels"].values()
    ]
    payload_names = {m.payload.name for m in messages.values()}
    # The envelope first: it is every message's outer shape.
    shared_schemas = sorted(
        (
            schema_view(name, schema)
            for name, schema in document["components"]["schemas"].items()
            if name not in payload_names
        ),
        key=lambda view: view.name != "Envelope",
    )
    return _templates.get_template("asyncapi.html").render(
        service=service,
        info=document["info"],
        asyncapi_version=document["asyncapi"],
        json_url=json_url,
        css_url=css_url,
        operations=operations,
        channels=channels,
        used=[m for m in messages.values() if m.roles],
        passing=[m for m in messages.values() if not m.roles],
        shared_schemas=shared_schemas,
    )
