"""The key ring that seals the personal fields of event payloads (shared/events/personal.py).

AES-GCM (``cryptography``): the key id goes in as associated data and picks the key
directly, where Fernet has no key id (MultiFernet tries every key) and longer tokens.

A sealed value is one string, ``tsk1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>``,
holding the value's JSON. The ring seals with its current key and opens with any key it
holds, so a rotation keeps old keys until nothing (outbox, streams, dead letters) uses
them any more (``tsunagi keys usage``).

Where the keys come from (``KeyRing.from_settings``): ``TSUNAGI_PAYLOAD_KEYS`` (and
``TSUNAGI_PAYLOAD_KEY_ID``) when set — production must set them; otherwise embedded mode
keeps them in ``<data_dir>/keys/payload-keys.json`` (made on first use), and test mode
uses one fixed test key."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.events.personal import SEALED_PREFIX
from shared.settings import Settings

PREFIX = SEALED_PREFIX
KEY_FILE_NAME = "payload-keys.json"
TEST_KEY_ID = "test-1"
_TEST_KEY = hashlib.sha256(b"tsunagi-test-payload-key-not-for-production").digest()
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
_NONCE_BYTES = 12
_SEALED_IN_TEXT = re.compile(re.escape(SEALED_PREFIX) + r"([A-Za-z0-9_-]{1,32})\.[A-Za-z0-9_-]{16,}")


class KeyRingError(ValueError):
    """A sealed value cannot be opened (unknown key id, tampered, malformed) or the ring
    is misconfigured; the message says which, never the value."""


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def key_id_of(token: str) -> str:
    return token[len(PREFIX) :].split(".", 1)[0]


def encode_key(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode()


def new_key_id() -> str:
    return f"k{secrets.token_hex(4)}"


@dataclass(frozen=True)
class KeyRing:
    current: str
    keys: Mapping[str, bytes]
    # One cipher per key, made once (making one costs more than sealing a short value).
    _ciphers: dict[str, AESGCM] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.current not in self.keys:
            raise KeyRingError(f"the current payload key {self.current!r} is not in the ring")
        for key_id, key in self.keys.items():
            if not _KEY_ID.fullmatch(key_id):
                raise KeyRingError(f"payload key id {key_id!r}: letters, digits, - and _ only (1–32)")
            if len(key) != 32:
                raise KeyRingError(f"payload key {key_id!r} must be 32 bytes (AES-256), not {len(key)}")
        object.__setattr__(self, "_ciphers", {key_id: AESGCM(key) for key_id, key in self.keys.items()})

    def seal(self, value: Any) -> str:
        """The value's JSON, encrypted and authenticated with the current key."""
        nonce = os.urandom(_NONCE_BYTES)
        header = f"{PREFIX}{self.current}."
        plain = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
        sealed = self._ciphers[self.current].encrypt(nonce, plain, header.encode())
        return header + base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")

    def open(self, token: str) -> Any:
        if not is_sealed(token):
            raise KeyRingError("not a sealed value")
        key_id, _, body = token[len(PREFIX) :].partition(".")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise KeyRingError(
                f"sealed with payload key {key_id!r}, which this key ring does not hold "
                f"(it has: {', '.join(self.keys)})"
            )
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            plain = cipher.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], f"{PREFIX}{key_id}.".encode())
        except (InvalidTag, ValueError) as exc:
            raise KeyRingError(f"a value sealed with payload key {key_id!r} was altered or is damaged") from exc
        return json.loads(plain)

    def rotated(self) -> KeyRing:
        """This ring with a new current key; the old ones stay to open what they sealed."""
        key_id = new_key_id()
        return KeyRing(current=key_id, keys={**self.keys, key_id: AESGCM.generate_key(bit_length=256)})

    def without(self, key_id: str) -> KeyRing:
        if key_id == self.current:
            raise KeyRingError(f"{key_id!r} is the current key; rotate first")
        return KeyRing(current=self.current, keys={k: v for k, v in self.keys.items() if k != key_id})

    def as_json(self) -> str:
        return json.dumps({"current": self.current, "keys": {k: encode_key(v) for k, v in self.keys.items()}}, indent=2)

    def as_setting(self) -> str:
        """The ring as ``TSUNAGI_PAYLOAD_KEYS`` takes it: ``id:base64url,…``."""
        return ",".join(f"{k}:{encode_key(v)}" for k, v in self.keys.items())

    @classmethod
    def new(cls) -> KeyRing:
        key_id = new_key_id()
        return cls(current=key_id, keys={key_id: AESGCM.generate_key(bit_length=256)})

    @classmethod
    def for_tests(cls) -> KeyRing:
        return cls(current=TEST_KEY_ID, keys={TEST_KEY_ID: _TEST_KEY})

    @classmethod
    def parse(cls, keys: str, current: str | None = None) -> KeyRing:
        """``id:base64url,id:base64url``; the current key is ``current`` or the last listed."""
        ring: dict[str, bytes] = {}
        for part in filter(None, (p.strip() for p in keys.split(","))):
            key_id, sep, encoded = part.partition(":")
            if not sep:
                raise KeyRingError("TSUNAGI_PAYLOAD_KEYS expects id:base64url pairs separated by commas")
            try:
                ring[key_id] = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
            except ValueError as exc:
                raise KeyRingError(f"payload key {key_id!r} is not base64url") from exc
        if not ring:
            raise KeyRingError("TSUNAGI_PAYLOAD_KEYS holds no key")
        return cls(current=current or list(ring)[-1], keys=ring)

    @classmethod
    def load_file(cls, path: Path) -> KeyRing:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls.parse(",".join(f"{k}:{v}" for k, v in data["keys"].items()), data["current"])

    def save_file(self, path: Path) -> None:
        """Written to a temporary file and renamed, readable by its owner only."""
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(self.as_json())
        temporary.replace(path)

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyRing:
        if settings.payload_keys is not None:
            return cls.parse(settings.payload_keys.get_secret_value(), settings.payload_key_id)
        if settings.mode == "production":
            raise KeyRingError("set TSUNAGI_PAYLOAD_KEYS in production (`tsunagi keys new` makes one)")
        if settings.mode == "test":
            return cls.for_tests()
        return ensure_key_file(key_file_path(settings))


def key_file_path(settings: Settings) -> Path:
    return settings.data_dir / "keys" / KEY_FILE_NAME


def ensure_key_file(path: Path) -> KeyRing:
    """The embedded ring, made on first use. Processes starting together agree on one:
    each writes its own file and links it into place, which only the first one does."""
    if not path.exists():
        ring = KeyRing.new()
        own = path.with_name(f"{path.name}.{os.getpid()}")
        ring.save_file(own)
        try:
            with contextlib.suppress(FileExistsError):
                os.link(own, path)
        finally:
            own.unlink()
    return KeyRing.load_file(path)


def key_ids_in(text: str) -> list[str]:
    """The key id of every sealed value in a text (an envelope's JSON, a dead letter's
    copy of the original entry, however deeply escaped): for ``tsunagi keys usage``."""
    return _SEALED_IN_TEXT.findall(text)
