"""External channels. A sender raises ``DeliveryError`` when a message did not get
through; ``permanent`` means retrying cannot help (e.g. no address in the directory)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Outgoing:
    """One message to send: never more than the in-app notification itself says."""

    delivery_id: str
    notification_id: str
    channel: str
    target: str
    kind: str
    recipient_role: str
    recipient_scope: str
    title: str
    body: str
    referral_id: str | None
    created_at: datetime
