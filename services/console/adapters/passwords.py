"""Password hashing: Argon2id (argon2-cffi's defaults, RFC 9106's second profile).
Hashing takes tens of milliseconds of CPU on purpose, so it runs in a worker thread,
never on the event loop that serves everyone else."""

from __future__ import annotations

import asyncio
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified when the account id is unknown, so a wrong id costs the same time as a
    wrong password."""
    return _hasher.hash("tsunagi-no-such-account")


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    def _verify() -> bool:
        try:
            return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(_verify)
