"""Intake's rules: reference numbers and what a reporter may see. No I/O."""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from shared.clock import as_utc, to_jst
from shared.errors import InvalidInput

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


# Hiragana, katakana, the long-vowel mark ー, 「・」 and spaces (after NFKC, so half-width
# katakana and full-width spaces are fine too).
_KANA_ONLY = re.compile(r"[\u3041-\u3096\u309d\u309e\u30a1-\u30fa\u30fb\u30fc\u30fd\u30fe\s]+")


def check_name_kana(value: str | None) -> str | None:
    """The furigana as stored (NFKC, trimmed; blank → none), or a 422 if it is not kana."""
    if value is None:
        return None
    kana = unicodedata.normalize("NFKC", value).strip()
    if not kana:
        return None
    if not _KANA_ONLY.fullmatch(kana):
        raise InvalidInput(
            "ふりがなは、ひらがな・カタカナで入力してください(長音「ー」・中点「・」・空白は使えます)。",
            field="person.name_kana",
        )
    return kana


@dataclass(frozen=True)
class ReporterView:
    """What a reporter sees: the stage only, never names or notes."""

    reference: str
    stage: str
    received_at: datetime
    updated_at: datetime

    @classmethod
    def of(
        cls, reference: str, received_at: datetime, stage: str | None, stage_updated_at: datetime | None
    ) -> ReporterView:
        """The stage is its case's (received until the case says otherwise); a consultation
        linked to an older case must not read as updated before it was received."""
        received_at = as_utc(received_at)
        updated_at = max(received_at, as_utc(stage_updated_at)) if stage_updated_at else received_at
        return cls(reference=reference, stage=stage or RECEIVED_STAGE, received_at=received_at, updated_at=updated_at)


def is_newer(candidate_event_id: str, current_event_id: str | None) -> bool:
    """Case events may arrive out of order at replicas; event ids are sortable by time,
    so the later event wins regardless of arrival order."""
    return current_event_id is None or candidate_event_id > current_event_id
