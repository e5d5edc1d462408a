"""Stream names, consumer groups, entry encoding and the dead-letter streams."""

from __future__ import annotations

from typing import Any, cast

from faststream.redis.parser import BinaryMessageFormatV1
from redis.asyncio import Redis
from redis.exceptions import ResponseError
from redis.typing import XClaimResponse

from shared.events import Envelope
from shared.events.personal import Sealer

DATA_FIELD = b"__data__"

# A stream entry as our connections return it (no decode_responses): id and fields as bytes.
Entry = tuple[bytes, dict[bytes, bytes]]


def entries_of(reply: XClaimResponse | None) -> list[Entry]:
    """An XRANGE, XREVRANGE or XCLAIM reply's entries. redis-py types replies for every
    client setting (str or bytes, a deleted entry as None), hence the cast: our clients
    return bytes, and Redis 7 leaves deleted entries out of XCLAIM's reply. A nil reply
    (never sent for these commands) reads as no entries."""
    return cast(list[Entry], reply or [])


def id_text(value: bytes | str | int) -> str:
    """A stream entry id from a reply value (bytes on our connections) as text."""
    return value.decode() if isinstance(value, bytes) else str(value)


def dead_letter_stream(service: str) -> str:
    return f"tsunagi.dlq.{service}"


async def ensure_group(redis: Redis, stream: str, group: str) -> None:
    """Create the group from the stream's beginning (``0``), not ``$``: a group created
    after events were published must still see them."""
    try:
        await redis.xgroup_create(name=stream, groupname=group, id="0", mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def decode_entry(fields: dict[bytes, bytes], keys: Sealer | None = None) -> Envelope:
    """An entry written by FastStream's publisher (binary format) or a raw JSON one. With
    ``keys``, ``payload_as`` opens the personal fields it returns; without, the envelope
    and identifiers read as usual and a sealed field refuses to open."""
    raw = fields.get(DATA_FIELD)
    if raw is None:
        raise ValueError("stream entry has no __data__ field")
    body, _headers = BinaryMessageFormatV1.parse(raw)
    return Envelope.model_validate_json(body).opened_with(keys)


def headers_of(envelope: Envelope) -> dict[str, Any]:
    return {"event_type": envelope.type, "event_id": envelope.event_id, "schema_version": str(envelope.schema_version)}


def event_id_of(fields: dict[bytes, bytes]) -> str | None:
    """The event id of a stream entry: from its headers, else its envelope (None: undecodable)."""
    try:
        _body, headers = BinaryMessageFormatV1.parse(fields[DATA_FIELD])
        if headers.get("event_id"):
            return str(headers["event_id"])
        return decode_entry(fields).event_id
    except Exception:
        return None
