"""Intake's rules: reference numbers and what a reporter may see. No I/O."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from shared.clock import to_jst

# Crockford base32 without look-alikes (no I, L, O, U): read over the phone safely.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECEIVED_STAGE = "受付済"


def new_reference(received_at: datetime) -> str:
    """A reference number a reporter can write down: ``TSN-2611-7K3Q9M``
    (TSN, the JST year and month, six random characters)."""
    code = "".join(secrets.choice(_ALPHABET) for _ in range(6))
    return f"TSN-{to_jst(received_at):%y%m}-{code}"


def normalise_reference(reference: str) -> str:
    """Accept lower case and the look-alike letters people type by mistake."""
    return reference.strip().upper().replace("O", "0").replace("I", "1").replace("L", "1")


@dataclass(frozen=True)
class ReporterView:
    """What a reporter sees: the stage only, never names or notes."""

    reference: str
    stage: str
    received_at: datetime
    updated_at: datetime


def is_newer(candidate_event_id: str, current_event_id: str | None) -> bool:
    """Case events may arrive out of order at replicas; event ids are sortable by time,
    so the later event wins regardless of arrival order."""
    return current_event_id is None or candidate_event_id > current_event_id
