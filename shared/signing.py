"""The console's signing key pair (Ed25519): the console signs the API tokens it hands
out with the private key; every service verifies them with the public key only, so no
service can mint a token.

Embedded and test mode keep both files in ``<data_dir>/keys`` and make them on first
use (``tsunagi up`` does, before any process starts). Production names the files
(``TSUNAGI_CONSOLE_SIGNING_KEY_FILE`` for the console, ``TSUNAGI_CONSOLE_VERIFY_KEY_FILE``
for every service), made once with ``tsunagi keygen``."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.settings import Settings

SIGNING_KEY_NAME = "console-signing-key.pem"
VERIFY_KEY_NAME = "console-verify-key.pem"


class SigningKeyError(RuntimeError):
    """A key file is missing or unreadable (the message says which and what to do)."""


def signing_key_path(settings: Settings) -> Path:
    return settings.console_signing_key_file or settings.data_dir / "keys" / SIGNING_KEY_NAME


def verify_key_path(settings: Settings) -> Path:
    return settings.console_verify_key_file or settings.data_dir / "keys" / VERIFY_KEY_NAME


def generate_key_pair(signing_path: Path, verify_path: Path) -> None:
    """Writes a new pair; the private key is readable by its owner only."""
    key = Ed25519PrivateKey.generate()
    signing_path.parent.mkdir(parents=True, exist_ok=True)
    verify_path.parent.mkdir(parents=True, exist_ok=True)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write_whole(signing_path, private, 0o600)
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    _write_whole(verify_path, public, 0o644)


def _write_whole(path: Path, data: bytes, mode: int) -> None:
    """Written beside and renamed: a service starting meanwhile reads no key or the whole
    key, never half of one (a bench run's referral process once failed on that)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    temporary.replace(path)


def ensure_key_pair(settings: Settings) -> bool:
    """Makes the pair where it is missing (embedded and test mode only). True if made."""
    signing, verify = signing_key_path(settings), verify_key_path(settings)
    if settings.mode == "production" or (signing.exists() and verify.exists()):
        return False
    generate_key_pair(signing, verify)
    return True


def load_signing_key(settings: Settings) -> Ed25519PrivateKey:
    path = signing_key_path(settings)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError as exc:
        raise SigningKeyError(
            f"the console's signing key {path} is missing: make it with `tsunagi keygen` "
            "or set TSUNAGI_CONSOLE_SIGNING_KEY_FILE"
        ) from exc
    except ValueError as exc:
        raise SigningKeyError(f"{path} is not a PEM private key") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path} is not an Ed25519 key")
    return key


def load_verify_key(settings: Settings) -> Ed25519PublicKey | None:
    """The console's public key, or None where none exists yet (then only development
    tokens are accepted, and only outside production)."""
    path = verify_key_path(settings)
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except FileNotFoundError as exc:
        if settings.mode == "production":
            raise SigningKeyError(
                f"the console's public key {path} is missing: set TSUNAGI_CONSOLE_VERIFY_KEY_FILE "
                "(production accepts only tokens the console signed)"
            ) from exc
        return None
    except ValueError as exc:
        raise SigningKeyError(f"{path} is not a PEM public key") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyError(f"{path} is not an Ed25519 key")
    return key


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short fingerprint put in each token's header, so a key rotation is traceable."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]
