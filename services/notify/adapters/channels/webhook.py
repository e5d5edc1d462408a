"""Signed webhooks: a JSON POST whose exact body is signed with HMAC-SHA256
(``X-Tsunagi-Signature: sha256=<hex>``); the receiver recomputes it with the shared
secret. ``delivery_id`` lets a receiver drop a retry it already processed."""

from __future__ import annotations

import json

import httpx

from services.notify.adapters.channels import DeliveryError, Outgoing
from services.notify.domain.delivery import DELIVERY_HEADER, KIND_HEADER, SIGNATURE_HEADER, sign
from services.notify.settings import NotifySettings
from shared.clock import Clock


class WebhookSender:
    def __init__(self, options: NotifySettings, clock: Clock) -> None:
        self.options = options
        self.clock = clock

    def body(self, item: Outgoing) -> bytes:
        return json.dumps(
            {
                "delivery_id": item.delivery_id,
                "notification_id": item.notification_id,
                "kind": item.kind,
                "recipient": {"role": item.recipient_role, "scope": item.recipient_scope},
                "title": item.title,
                "body": item.body,
                "referral_id": item.referral_id,
                "created_at": item.created_at.isoformat(),
                "sent_at": self.clock.now().isoformat(),
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()

    async def send(self, item: Outgoing) -> str:
        if not item.target:
            raise DeliveryError("関連機関の Webhook URL が登録されていません", permanent=True)
        body = self.body(item)
        headers = {
            "content-type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: sign(self.options.webhook_secret.get_secret_value(), body),
            DELIVERY_HEADER: item.delivery_id,
            KIND_HEADER: item.kind,
        }
        try:
            async with httpx.AsyncClient(timeout=self.options.webhook_timeout_s) as client:
                response = await client.post(item.target, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"接続エラー: {type(exc).__name__}: {exc}") from exc
        if not response.is_success:
            raise DeliveryError(f"HTTP {response.status_code}: {response.text[:200]}")
        return f"HTTP {response.status_code}"
