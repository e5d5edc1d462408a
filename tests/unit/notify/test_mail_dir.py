"""On one machine (`tsunagi up`, no SMTP server) email is written to a pickup folder."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.notify.adapters.channels import DeliveryError, Outgoing
from services.notify.adapters.channels.email import EmailSender
from services.notify.settings import NotifySettings

ITEM = Outgoing(
    delivery_id="D1",
    notification_id="N1",
    channel="email",
    target="sample@example.invalid",
    kind="referral_new",
    recipient_role="agency",
    recipient_scope="hc-3",
    title="新しいつなぎ",
    body="サンプル本文",
    referral_id="R1",
    created_at=datetime(2026, 11, 23, tzinfo=UTC),
)


async def test_mail_is_written_to_the_pickup_folder(tmp_path: Path) -> None:
    result = await EmailSender(NotifySettings(mail_dir=tmp_path / "mail")).send(ITEM)
    written = tmp_path / "mail" / "D1.eml"
    assert str(written) in result
    message = email.message_from_bytes(written.read_bytes())
    assert message["To"] == "sample@example.invalid"
    assert "サンプル本文" in message.get_payload(decode=True).decode("utf-8")


async def test_without_smtp_or_pickup_folder_email_fails_loudly() -> None:
    with pytest.raises(DeliveryError) as info:
        await EmailSender(NotifySettings()).send(ITEM)
    assert info.value.permanent
