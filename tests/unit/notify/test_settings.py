"""Notify's own settings refuse an unsafe default outside embedded/test mode."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from services.notify.settings import NotifySettings


def test_development_webhook_secret_is_refused_in_production() -> None:
    NotifySettings().check_for("embedded")
    NotifySettings().check_for("test")
    with pytest.raises(ValueError, match="WEBHOOK_SECRET"):
        NotifySettings().check_for("production")
    NotifySettings(webhook_secret=SecretStr("a-real-secret-of-enough-length-0123")).check_for("production")


def test_read_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TSUNAGI_NOTIFY_SMTP_HOST", "mail.example.jp")
    monkeypatch.setenv("TSUNAGI_NOTIFY_DELIVERY_MAX_ATTEMPTS", "3")
    options = NotifySettings()
    assert options.smtp_host == "mail.example.jp" and options.delivery_max_attempts == 3
