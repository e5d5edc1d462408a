"""Typed settings, read from ``TSUNAGI_*`` environment variables (the same names in the
embedded mode and in docker-compose)."""

from __future__ import annotations

import os
import socket
import uuid
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Only ever acceptable in the embedded (single-machine demo) mode and in tests.
DEVELOPMENT_SECRET = "tsunagi-development-key-not-for-production"
DEVELOPMENT_MATCH_KEY = "tsunagi-development-match-key-not-for-production"

SERVICES = ("intake", "case", "referral", "notify")
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TSUNAGI_", extra="ignore")

    mode: Literal["embedded", "test", "production"] = "embedded"
    secret_key: SecretStr = SecretStr(DEVELOPMENT_SECRET)
    token_ttl_hours: int = 12
    # Keys the case service's name, place and household match keys (HMAC): without it a
    # dictionary of names would reverse them. Changing it makes the stored keys stale.
    match_key: SecretStr = SecretStr(DEVELOPMENT_MATCH_KEY)

    # None: `tsunagi up` starts its own redis-server in the data folder.
    redis_url: str | None = None
    # None: one SQLite file per service in the data folder. A PostgreSQL URL: one
    # schema per service in that database.
    database_url: str | None = None
    data_dir: Path = PROJECT_ROOT / "data"
    reference_dir: Path = PROJECT_ROOT / "reference"

    host: str = "127.0.0.1"
    intake_port: int = 8001
    case_port: int = 8002
    referral_port: int = 8003
    notify_port: int = 8004

    log_level: str = "INFO"
    log_json: bool = True

    # Messaging
    consumer_name: str | None = None
    batch_size: int = 100
    # XREADGROUP BLOCK: a read returns as soon as entries arrive, so this only sets how
    # often an idle consumer wakes up (and costs CPU) — not the latency.
    poll_interval_ms: int = 1000
    # Streams a service applies in the background (EventHandlers.in_background): after a
    # small batch the next read waits this long, so steady load is applied in batches.
    # Measured per consultation, all processes, same build alternating: at 40/s, 0 → 25 ms
    # 10–13 % less CPU, 25 → 100 ms 34–35 → 27–28 ms of CPU (−20 %; 150 and 250 ms gained
    # little more); at 120/s the same within noise (there the critical path dominates).
    background_linger_ms: int = 100
    relay_poll_interval_s: float = 0.5
    reclaim_idle_ms: int = 15_000
    reclaim_interval_s: float = 5.0
    max_deliveries: int = 5

    # HTTP
    max_body_bytes: int = 64 * 1024

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> "Settings":
        if self.mode == "production" and self.secret_key.get_secret_value() == DEVELOPMENT_SECRET:
            raise ValueError(
                "TSUNAGI_SECRET_KEY is the development key; set a real secret outside embedded mode"
            )
        if self.mode == "production" and len(self.secret_key.get_secret_value()) < 32:
            raise ValueError("TSUNAGI_SECRET_KEY must be at least 32 characters in production")
        match_key = self.match_key.get_secret_value()
        if self.mode == "production" and match_key == DEVELOPMENT_MATCH_KEY:
            raise ValueError(
                "TSUNAGI_MATCH_KEY is the development key; set a real secret outside embedded mode"
            )
        if self.mode == "production" and len(match_key) < 32:
            raise ValueError("TSUNAGI_MATCH_KEY must be at least 32 characters in production")
        if self.mode == "production" and match_key == self.secret_key.get_secret_value():
            raise ValueError("TSUNAGI_MATCH_KEY must differ from TSUNAGI_SECRET_KEY")
        return self

    def port_of(self, service: str) -> int:
        return int(getattr(self, f"{service}_port"))

    def url_of(self, service: str) -> str:
        env = os.environ.get(f"TSUNAGI_{service.upper()}_URL")
        return env or f"http://{self.host}:{self.port_of(service)}"

    def effective_redis_url(self) -> str:
        return self.redis_url or "redis://127.0.0.1:6379/0"

    def unique_consumer_name(self, service: str) -> str:
        """Consumer names are unique per process, so a dead process's pending entries
        are recognisably its own and can be reclaimed by the survivors."""
        if self.consumer_name:
            return self.consumer_name
        return f"{service}-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
