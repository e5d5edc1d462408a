"""The key of the timeline's hash chain (``TSUNAGI_TIMELINE_KEY``), its own secret: not
the token key, not the match key. Test mode without one: a fixed key. Embedded mode
without one: a random key made once in ``<data_dir>/keys`` (like the console's key
pair), so the migration that chains existing entries and the service agree. Production
must set it (``Settings`` refuses to start otherwise)."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from shared.settings import Settings

KEY_FILE_NAME = "timeline-key"
TEST_KEY = b"tsunagi-test-timeline-key-not-for-production"


def timeline_key_path(settings: Settings) -> Path:
    return settings.data_dir / "keys" / KEY_FILE_NAME


def timeline_key(settings: Settings) -> bytes:
    if settings.timeline_key is not None:
        return settings.timeline_key.get_secret_value().encode()
    if settings.mode == "test":
        return TEST_KEY
    if settings.mode == "production":  # Settings already refuses this; never fall back to a file
        raise RuntimeError("TSUNAGI_TIMELINE_KEY is required in production")
    path = timeline_key_path(settings)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f"{KEY_FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
        # A hard link appears whole or not at all: two processes starting at once keep one key.
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)
        draft.unlink()
    return path.read_text().strip().encode()
