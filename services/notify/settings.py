"""Notify's own settings (``TSUNAGI_NOTIFY_*``), beside the shared ``Settings``:
the timer and delivery loops, retry limits, SMTP and the webhook signing secret."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_WEBHOOK_SECRET = "tsunagi-development-webhook-secret"


class NotifySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TSUNAGI_NOTIFY_", extra="ignore")

    # None: ``followups.yaml`` in the reference folder. Either way it is read (and
    # reloaded) with the reference data: shared.reference.load_reference_data.
    followup_policy: Path | None = None
    followup_interval_s: float = 5.0
    delivery_interval_s: float = 1.0
    delivery_max_attempts: int = 6
    delivery_backoff_s: float = 30.0
    delivery_backoff_max_s: float = 3600.0
    # How long a worker owns a claimed delivery before another replica may retry it.
    delivery_claim_s: float = 120.0

    # None: the email channel is not configured; email deliveries then fail loudly —
    # unless ``mail_dir`` is set (what ``tsunagi up`` does on one machine): each mail
    # is then written there as an .eml file, a local pickup folder to read the demo's mail.
    smtp_host: str | None = None
    mail_dir: Path | None = None
    smtp_port: int = 25
    smtp_from: str = "tsunagi@localhost"
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_s: float = 10.0

    webhook_secret: SecretStr = SecretStr(DEVELOPMENT_WEBHOOK_SECRET)
    webhook_timeout_s: float = 10.0

    def check_for(self, mode: str) -> None:
        """Refuse the development webhook secret outside embedded/test mode."""
        if mode == "production" and self.webhook_secret.get_secret_value() == DEVELOPMENT_WEBHOOK_SECRET:
            raise ValueError("TSUNAGI_NOTIFY_WEBHOOK_SECRET is the development secret; set a real one")
