"""TOTP with pyotp, its secret encrypted at rest, its enrolment as a QR code, and the
recovery codes' hashes.

The secret is encrypted (Fernet: AES-CBC with an HMAC) under a key derived from
``TSUNAGI_SECRET_KEY``, so a copy of the database alone yields no working codes. Codes
are checked at the injected clock's time, so tests compute them with pyotp at the same
time the console uses."""

from __future__ import annotations

import asyncio
import base64
import hmac
import secrets
from datetime import datetime

import pyotp
import segno
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from services.console.domain.second_factor import RECOVERY_ALPHABET, RECOVERY_CODES, RECOVERY_LENGTH, TOTP_WINDOW

ISSUER = "つなぎの机"
# Argon2id as for passwords, lighter: the codes are random (about 50 bits, not chosen by a
# person), and ten are hashed at enrolment and up to ten tried at each use.
_hasher = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)


class SecretBox:
    """Encrypts and decrypts TOTP secrets with a key derived from the settings' secret."""

    def __init__(self, secret_key: str) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"tsunagi-console-totp").derive(
            secret_key.encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, totp_secret: str) -> str:
        return self._fernet.encrypt(totp_secret.encode()).decode()

    def open(self, sealed: str) -> str | None:
        """None when it was sealed under another key (the secret key changed)."""
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            return None


def new_secret() -> str:
    return pyotp.random_base32()


def matching_step(totp_secret: str, code: str, at: datetime) -> int | None:
    """The time step whose code this is (within the window around ``at``), or None."""
    totp = pyotp.TOTP(totp_secret)
    current = totp.timecode(at)
    for offset in (0, -TOTP_WINDOW, TOTP_WINDOW):
        if hmac.compare_digest(totp.generate_otp(current + offset), code):
            return current + offset
    return None


def provisioning_uri(totp_secret: str, account_id: str) -> str:
    return pyotp.TOTP(totp_secret).provisioning_uri(name=account_id, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """Inline SVG: no script, no inline style, nothing fetched (the page's CSP holds)."""
    return str(
        segno.make(uri, error="m").svg_inline(
            scale=4, border=4, dark="#1a1a1c", light="#ffffff", title="2段階認証を設定するQRコード"
        )
    )


def new_recovery_codes() -> list[str]:
    return ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH)) for _ in range(RECOVERY_CODES)]


async def hash_recovery_codes(codes: list[str]) -> list[str]:
    return await asyncio.to_thread(lambda: [_hasher.hash(c) for c in codes])


async def matching_recovery_code(hashes_by_id: dict[str, str], code: str) -> str | None:
    """The id of the unused code this is, or None (Argon2 in a worker thread)."""

    def _find() -> str | None:
        for code_id, code_hash in hashes_by_id.items():
            try:
                if _hasher.verify(code_hash, code):
                    return code_id
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                continue
        return None

    return await asyncio.to_thread(_find)
