"""Typed settings, read from ``TSUNAGI_*`` environment variables (the same names in the
embedded mode and in docker-compose)."""

from __future__ import annotations

import os
import socket
import uuid
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Only ever acceptable in the embedded (single-machine demo) mode and in tests.
DEVELOPMENT_SECRET = "tsunagi-development-key-not-for-production"
DEVELOPMENT_MATCH_KEY = "tsunagi-development-match-key-not-for-production"

# The console is the web front end; the other four are the case-work services it calls.
SERVICES = ("console", "intake", "case", "referral", "notify")
PROJECT_ROOT = Path(__file__).resolve().parent.parent
# `make up`'s private Redis: its password and URL, in <data_dir>/keys.
REDIS_PASSWORD_FILE = "redis-password"
REDIS_URL_FILE = "redis-url"
# Writes per account per window (60 s unless set): a person raises a few consultations,
# staff record a working day's steps; a script sending dozens a second is refused.
PRODUCTION_WRITE_LIMITS = {"reporter": 20, "coordinator": 300, "supervisor": 300, "agency": 120, "default": 60}
# Embedded and test mode: above what the benchmark sends per account.
GENEROUS_WRITE_LIMITS = {"default": 6000}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TSUNAGI_", extra="ignore")

    mode: Literal["embedded", "test", "production"] = "embedded"
    secret_key: SecretStr = SecretStr(DEVELOPMENT_SECRET)
    # The longest any token may live, the console's and the development key's alike (a
    # stolen token is good for at most this long; revocation covers the console's sooner).
    token_max_lifetime_s: int = Field(3600, ge=60, le=12 * 3600)
    # Keys the case service's name, place and household match keys (HMAC): without it a
    # dictionary of names would reverse them. Changing it makes the stored keys stale.
    match_key: SecretStr = SecretStr(DEVELOPMENT_MATCH_KEY)
    # Keys the case timeline's hash chain (HMAC): a database writer without it cannot
    # forge a chain that verifies. Unset: a fixed key in test mode, a key file made in
    # <data_dir>/keys in embedded mode (services/case/adapters/chain_key.py); required in
    # production. Changing it makes every stored chain fail verification.
    timeline_key: SecretStr | None = None

    # The keys that seal the personal fields of event payloads (shared/keyring.py):
    # `id:base64url,…`, the current one TSUNAGI_PAYLOAD_KEY_ID (unset: the last listed).
    # Unset: embedded mode keeps them in <data_dir>/keys, test mode uses a fixed test key;
    # production must set them.
    payload_keys: SecretStr | None = None
    payload_key_id: str | None = None

    # None: `tsunagi up` starts its own redis-server in the data folder (with a password).
    # TLS: a rediss:// URL (e.g. rediss://user:pw@host:6380/0?ssl_cert_reqs=required).
    redis_url: str | None = None
    # None: one SQLite file per service in the data folder. A PostgreSQL URL: one
    # schema per service in that database.
    database_url: str | None = None
    data_dir: Path = PROJECT_ROOT / "data"
    reference_dir: Path = PROJECT_ROOT / "reference"

    host: str = "127.0.0.1"
    console_port: int = 8000
    intake_port: int = 8001
    case_port: int = 8002
    referral_port: int = 8003
    notify_port: int = 8004
    # Where the console (and the command line) reach each service; unset: host and port
    # above (docker-compose names the containers instead).
    intake_url: str | None = None
    case_url: str | None = None
    referral_url: str | None = None
    notify_url: str | None = None

    log_level: str = "INFO"
    log_json: bool = True

    # Traces (shared/tracing): unset or empty, nothing is traced or exported. Set, the
    # base URL of an OTLP/HTTP collector (e.g. http://localhost:4318); spans go to /v1/traces.
    otlp_endpoint: str | None = None
    # The share of requests and applied events that start a recorded trace (the rest of a
    # trace follows its start).
    trace_sample_ratio: float = Field(1.0, ge=0.0, le=1.0)

    # How long an embedded SQLite writer waits for another process's write lock.
    sqlite_busy_timeout_s: float = Field(30.0, gt=0, le=600)

    # Messaging
    consumer_name: str | None = None
    batch_size: int = 100
    # XREADGROUP BLOCK: a read returns as soon as entries arrive, so this only sets how
    # often an idle consumer wakes up (and costs CPU) — not the latency.
    poll_interval_ms: int = 1000
    # Streams a service applies in the background (EventHandlers.in_background): after a
    # small batch the next read waits this long, so steady load is applied in batches
    # (less CPU per consultation; such an update shows up at most this much later).
    background_linger_ms: int = 100
    relay_poll_interval_s: float = 0.5
    reclaim_idle_ms: int = 15_000
    reclaim_interval_s: float = 5.0
    max_deliveries: int = 5
    # The case service runs retention (保存期間) this often (0: never; cron runs
    # `tsunagi retention run` instead); the first run is one interval after start.
    retention_interval_s: float = Field(86_400.0, ge=0)
    # The case service runs its figures once while it starts (entrypoints/warm_up.py);
    # off: a faster start (tests), the first figures request compiles their SQL instead.
    warm_up_figures: bool = True

    # HTTP
    max_body_bytes: int = 64 * 1024
    # Production: /metrics, /docs, /redoc, /openapi.json and /asyncapi answer only a request
    # carrying `Authorization: Bearer <this>`; unset, they are refused unless
    # operator_endpoints_open says the services are bound to the operator's network only.
    operator_token: SecretStr | None = None
    operator_endpoints_open: bool = False
    # Writes (POST/PUT/PATCH/DELETE) one account may make per window, by role ("default":
    # any other role; 0: no limit), counted in Redis so every replica counts the same.
    # Unset: PRODUCTION_WRITE_LIMITS in production, generous ones elsewhere (tests, benchmark).
    write_limits: dict[str, Annotated[int, Field(ge=0)]] | None = None
    write_limit_window_s: int = Field(60, ge=1, le=3600)
    # How long a POST's Idempotency-Key is remembered (a repeat gets the first answer).
    idempotency_ttl_hours: int = Field(24, ge=1, le=24 * 7)

    # Identity. The console signs the API tokens it hands out with its private key (EdDSA);
    # the services hold only the public key. Unset: files in <data_dir>/keys, made by
    # `tsunagi up` (embedded and test mode only; production must name both files).
    console_signing_key_file: Path | None = None
    console_verify_key_file: Path | None = None
    console_token_ttl_s: int = Field(300, ge=30, le=3600)
    # Shared office PCs: a session nobody used for this long is ended.
    console_idle_timeout_minutes: int = Field(30, ge=1, le=24 * 60)
    # How often an open queue asks for new cases (a background request, not activity).
    console_queue_refresh_s: int = Field(20, ge=1, le=600)
    console_lockout_attempts: int = Field(5, ge=1, le=100)
    console_lockout_minutes: int = Field(15, ge=1, le=24 * 60)
    # Staff roles that must sign in with a second factor besides supervisors and account
    # administrators (who always must): comma-separated, from "coordinator" and "agency".
    console_second_factor_roles: str = ""
    # The password of the SAMPLE accounts `tsunagi up` creates (a printed default if unset).
    sample_password: SecretStr | None = None
    # How often a service re-reads the accounts and ended sessions it learned from the
    # console's events (a signed-out session is refused everywhere within this + delivery).
    access_refresh_s: float = Field(5.0, gt=0, le=60)

    # Test mode only: a file holding seconds to add to every process's clock, so tests move
    # time for a whole system (deadlines, idle sign-outs) instead of waiting.
    clock_file: Path | None = None

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.mode == "production" and self.secret_key.get_secret_value() == DEVELOPMENT_SECRET:
            raise ValueError("TSUNAGI_SECRET_KEY is the development key; set a real secret outside embedded mode")
        if self.mode == "production" and len(self.secret_key.get_secret_value()) < 32:
            raise ValueError("TSUNAGI_SECRET_KEY must be at least 32 characters in production")
        if self.console_token_ttl_s > self.token_max_lifetime_s:
            raise ValueError("TSUNAGI_CONSOLE_TOKEN_TTL_S must not exceed TSUNAGI_TOKEN_MAX_LIFETIME_S")
        if self.operator_token is not None and len(self.operator_token.get_secret_value()) < 32:
            raise ValueError("TSUNAGI_OPERATOR_TOKEN must be at least 32 characters")
        unknown = set(self.second_factor_roles) - {"coordinator", "agency", "helper"}
        if unknown:
            raise ValueError(
                f"TSUNAGI_CONSOLE_SECOND_FACTOR_ROLES: {', '.join(sorted(unknown))} not allowed "
                "(coordinator, agency, helper; supervisors and account administrators always need one, reporters never)"
            )
        if self.clock_file is not None and self.mode != "test":
            raise ValueError("TSUNAGI_CLOCK_FILE moves the clock for tests; it is refused outside test mode")
        match_key = self.match_key.get_secret_value()
        if self.mode == "production" and match_key == DEVELOPMENT_MATCH_KEY:
            raise ValueError("TSUNAGI_MATCH_KEY is the development key; set a real secret outside embedded mode")
        if self.mode == "production" and len(match_key) < 32:
            raise ValueError("TSUNAGI_MATCH_KEY must be at least 32 characters in production")
        if self.mode == "production" and match_key == self.secret_key.get_secret_value():
            raise ValueError("TSUNAGI_MATCH_KEY must differ from TSUNAGI_SECRET_KEY")
        self._check_timeline_key()
        return self

    def _check_timeline_key(self) -> None:
        if self.mode != "production":
            return
        if self.timeline_key is None:
            raise ValueError("TSUNAGI_TIMELINE_KEY is required in production (it keys the timeline's hash chain)")
        key = self.timeline_key.get_secret_value()
        if len(key) < 32:
            raise ValueError("TSUNAGI_TIMELINE_KEY must be at least 32 characters in production")
        if key in (self.secret_key.get_secret_value(), self.match_key.get_secret_value()):
            raise ValueError("TSUNAGI_TIMELINE_KEY must differ from TSUNAGI_SECRET_KEY and TSUNAGI_MATCH_KEY")

    @property
    def second_factor_roles(self) -> tuple[str, ...]:
        return tuple(r.strip() for r in self.console_second_factor_roles.split(",") if r.strip())

    def effective_write_limits(self) -> dict[str, int]:
        defaults = PRODUCTION_WRITE_LIMITS if self.mode == "production" else GENEROUS_WRITE_LIMITS
        return {**defaults, **(self.write_limits or {})}

    def port_of(self, service: str) -> int:
        return int(getattr(self, f"{service}_port"))

    def url_of(self, service: str) -> str:
        configured = getattr(self, f"{service}_url", None)
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        return configured or f"http://{host}:{self.port_of(service)}"

    def effective_redis_url(self) -> str:
        """The configured URL; in embedded mode without one, the private Redis `make up`
        started (its URL, password included, kept in the data folder)."""
        if self.redis_url:
            return self.redis_url
        started = self.data_dir / "keys" / REDIS_URL_FILE
        if self.mode == "embedded" and started.exists():
            return started.read_text(encoding="utf-8").strip()
        return "redis://127.0.0.1:6379/0"

    def unique_consumer_name(self, service: str) -> str:
        """Consumer names are unique per process, so a dead process's pending entries
        are recognisably its own and can be reclaimed by the survivors."""
        if self.consumer_name:
            return self.consumer_name
        return f"{service}-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
