"""`make up`'s private Redis has a password: made once, kept in the data folder, never
on a command line, and what the services and the operator commands connect with."""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

import pytest
from redis import Redis
from redis.exceptions import AuthenticationError, ResponseError

from shared.cli.processes import embedded_redis_password, free_port, start_embedded_redis
from shared.cli.up import shown_url
from shared.settings import Settings


def test_the_private_redis_refuses_anyone_without_its_password(tmp_path: Path) -> None:
    process, url = start_embedded_redis(tmp_path, free_port())
    try:
        password = embedded_redis_password(tmp_path)
        assert url.startswith(f"redis://:{password}@127.0.0.1:")
        assert len(password) >= 32 and embedded_redis_password(tmp_path) == password, "made once, then kept"
        for secret in (tmp_path / "keys" / "redis-password", tmp_path / "redis" / "redis.conf"):
            assert secret.stat().st_mode & 0o077 == 0, f"{secret} is readable by its owner only"
        assert password not in Path(f"/proc/{process.pid}/cmdline").read_text(errors="replace")

        port = int(url.rsplit(":", 1)[1].split("/")[0])
        with pytest.raises((AuthenticationError, ResponseError), match="NOAUTH|[Aa]uthenticat"):
            Redis(port=port).xrange("tsunagi.consultation")
        with pytest.raises(AuthenticationError):
            Redis(port=port, password="guessed").ping()
        assert Redis.from_url(url).ping()

        # The operator commands find it in the data folder (embedded mode only).
        assert Settings(mode="embedded", data_dir=tmp_path).effective_redis_url() == url
        assert Settings(mode="test", data_dir=tmp_path).effective_redis_url() != url
        assert password not in shown_url(url) and "***" in shown_url(url)
    finally:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
