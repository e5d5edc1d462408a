"""Channel delivery rules: which channels a recipient gets, retry backoff, the
webhook signature. No I/O."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

SIGNATURE_HEADER = "X-Tsunagi-Signature"
DELIVERY_HEADER = "X-Tsunagi-Delivery"
KIND_HEADER = "X-Tsunagi-Kind"


@dataclass(frozen=True)
class ChannelTarget:
    channel: str  # "email" | "webhook"
    target: str  # an address or a URL; "" when the directory lacks it (fails loudly)


def channel_targets(channels: list[str], email: str | None, webhook_url: str | None) -> list[ChannelTarget]:
    """External channels of a directory entry; the in-app inbox always exists."""
    targets = []
    if "email" in channels:
        targets.append(ChannelTarget("email", email or ""))
    if "webhook" in channels:
        targets.append(ChannelTarget("webhook", webhook_url or ""))
    return targets


def retry_delay(attempt: int, base_s: float, max_s: float) -> timedelta:
    """Exponential backoff after the ``attempt``-th failure: base, 2×base, 4×base … capped."""
    return timedelta(seconds=min(base_s * (2 ** max(attempt - 1, 0)), max_s))


def sign(secret: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of the exact request body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    return header is not None and hmac.compare_digest(sign(secret, body), header)
