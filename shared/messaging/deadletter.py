"""The dead-letter streams: one per service (``tsunagi.dlq.<service>``).

An entry holds what an operator needs to judge and replay it: the source stream,
group and entry id, the event id and type, the attempt count, the last error, when it
was dead-lettered, the decoded envelope (JSON) and the original entry fields
(``original``: JSON, bytes kept as latin-1 so they round-trip exactly).

Resolving an entry (replayed or discarded) removes it from the dead-letter stream and
records the outcome, who, when and why in ``tsunagi.dlq.resolved``, atomically (Lua)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from shared.clock import utcnow
from shared.events.personal import Sealer, open_tree
from shared.messaging.failures import error_text
from shared.messaging.streams import dead_letter_stream, decode_entry, entries_of

RESOLVED_STREAM = "tsunagi.dlq.resolved"

# Remove from the dead-letter stream and record the outcome, only if still there.
_RESOLVE = """
local removed = redis.call('XDEL', KEYS[1], ARGV[1])
if removed == 1 then
  redis.call('XADD', KEYS[2], '*', unpack(ARGV, 2))
end
return removed
"""


def encode_fields(fields: dict[bytes, bytes]) -> bytes:
    return json.dumps({k.decode("latin-1"): v.decode("latin-1") for k, v in fields.items()}).encode()


def decode_fields(raw: bytes | str) -> dict[bytes, bytes]:
    return {k.encode("latin-1"): v.encode("latin-1") for k, v in json.loads(raw).items()}


def dead_letter_entry(
    *, service: str, stream: str, message_id: bytes, fields: dict[bytes, bytes], attempts: int, error: str
) -> dict[bytes, bytes]:
    try:
        envelope = decode_entry(fields)
        event_id, event_type, envelope_json = envelope.event_id, envelope.type, envelope.model_dump_json()
    except Exception as exc:  # an undecodable entry is dead-lettered too: keep what we have
        event_id, event_type, envelope_json = "", "", json.dumps({"undecodable": error_text(exc, 300)})
    return {
        b"service": service.encode(),
        b"stream": stream.encode(),
        b"group": service.encode(),
        b"message_id": message_id,
        b"event_id": event_id.encode(),
        b"event_type": event_type.encode(),
        b"attempts": str(attempts).encode(),
        b"error": error.encode(),
        b"dead_lettered_at": utcnow().isoformat().encode(),
        b"envelope": envelope_json.encode(),
        b"original": encode_fields(fields),
    }


@dataclass(frozen=True)
class DeadLetter:
    service: str
    id: str
    fields: dict[str, str]

    @property
    def ref(self) -> str:
        """How operators name it: ``<service>/<entry id>``."""
        return f"{self.service}/{self.id}"

    def get(self, name: str) -> str:
        return self.fields.get(name, "")

    @property
    def original_fields(self) -> dict[bytes, bytes]:
        return decode_fields(self.fields["original"])

    @property
    def envelope(self) -> dict[str, Any]:
        try:
            return json.loads(self.get("envelope") or "{}")
        except ValueError:
            return {}

    def opened_envelope(self, keys: Sealer) -> tuple[dict[str, Any], str]:
        """The envelope with its payload's sealed values opened, for the operator, and a
        note saying whether they could be (the stored entry stays sealed)."""
        envelope = self.envelope
        try:
            return {**envelope, "payload": open_tree(envelope.get("payload"), keys)}, "opened with the key ring"
        except ValueError as exc:  # a key no longer (or not yet) in this ring
            return envelope, f"left sealed: {exc}"

    def as_dict(self, envelope: dict[str, Any] | None = None) -> dict[str, Any]:
        shown = {k: v for k, v in self.fields.items() if k not in ("original", "envelope")}
        return {"ref": self.ref, **shown, "envelope": self.envelope if envelope is None else envelope}


def _text(fields: dict[bytes, bytes]) -> dict[str, str]:
    return {k.decode(): v.decode("utf-8", "replace") for k, v in fields.items()}


async def list_dead_letters(redis: Redis, services: tuple[str, ...] | list[str]) -> list[DeadLetter]:
    found: list[DeadLetter] = []
    for service in services:
        for entry_id, fields in entries_of(await redis.xrange(dead_letter_stream(service))):
            found.append(DeadLetter(service, entry_id.decode(), _text(fields)))
    return found


async def find_dead_letter(redis: Redis, ref: str, services: tuple[str, ...] | list[str]) -> DeadLetter | None:
    """``ref`` is ``<service>/<entry id>`` or a bare entry id (searched in every service)."""
    service, _, entry_id = ref.rpartition("/")
    for candidate in [service] if service else services:
        rows = entries_of(await redis.xrange(dead_letter_stream(candidate), min=entry_id, max=entry_id, count=1))
        if rows:
            return DeadLetter(candidate, entry_id, _text(rows[0][1]))
    return None


# What a record of a resolution may hold of the event: its error and original entry
# can quote personal fields, so retention's erasure keeps neither (shared/messaging/erasure.py).
PERSONAL_RECORD_FIELDS = ("error", "original")


async def resolve(
    redis: Redis, letter: DeadLetter, *, outcome: str, by: str, reason: str = "", erased: bool = False
) -> bool:
    """Record the outcome and remove the entry; False if someone else resolved it first.
    ``erased``: the record keeps nothing that could quote the event's personal fields."""
    record = {
        "outcome": outcome,
        "by": by,
        "reason": reason,
        "resolved_at": utcnow().isoformat(),
        "dead_letter": letter.ref,
        "service": letter.service,
        **{k: letter.get(k) for k in ("stream", "message_id", "event_id", "event_type", "attempts", "error")},
        "original": letter.get("original"),
    }
    if erased:
        record = {k: v for k, v in record.items() if k not in PERSONAL_RECORD_FIELDS}
    flat = [part for item in record.items() for part in item]
    deleted = await redis.eval(_RESOLVE, 2, dead_letter_stream(letter.service), RESOLVED_STREAM, letter.id, *flat)
    return bool(deleted)


async def resolved_history(redis: Redis, count: int = 100) -> list[dict[str, str]]:
    rows = entries_of(await redis.xrevrange(RESOLVED_STREAM, count=count))
    return [{"id": i.decode(), **{k: v for k, v in _text(f).items() if k != "original"}} for i, f in rows]
