"""Referral rules seen from the case: what may be shared, and how the agency's moves
are applied when they arrive out of order. No I/O."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from shared.errors import InvalidInput
from shared.events.referral import PERSONAL_FIELDS, SHAREABLE_FIELDS, SHAREABLE_LABELS

CONSENTED = "同意あり"

# Referral status rank: a status only ever moves forward. Equal ranks (accepted vs
# declined; the later loop moves) are decided by the later event id, so the outcome is
# the maximum of (rank, event id) over the events seen — the same whatever the order.
RANK: dict[str, int] = {
    "requested": 0,
    "received": 1,
    "acknowledged": 2,
    "accepted": 3,
    "declined": 3,
    "in_progress": 4,
    "on_hold": 4,
    "completed": 5,
    "failed": 5,
    "cancelled": 5,
}

STATUS_LABELS: dict[str, str] = {
    "requested": "依頼済",
    "received": "受信済",
    "acknowledged": "確認済",
    "accepted": "受諾",
    "declined": "辞退",
    "in_progress": "支援中",
    "on_hold": "保留",
    "completed": "完了",
    "failed": "不調",
    "cancelled": "取消",
}


def supersedes(new_status: str, new_event_id: str, current_status: str, current_event_id: str | None) -> bool:
    """Whether an agency move replaces the referral's current status."""
    new_key = (RANK[new_status], new_event_id)
    current_key = (RANK[current_status], current_event_id or "")
    return new_key > current_key


def may_share_personal(consent: str, legal_ground: str | None) -> bool:
    """Personal fields need consent or a recorded legal ground (要配慮個人情報:
    consent, or risk to life / abuse). The one rule for sharing."""
    return consent == CONSENTED or bool((legal_ground or "").strip())


def check_share(share: Iterable[str], consent: str, legal_ground: str | None) -> list[str]:
    """The fields to share, validated (``may_share_personal`` for the personal ones)."""
    chosen = list(dict.fromkeys(share))
    unknown = [f for f in chosen if f not in SHAREABLE_FIELDS]
    if unknown:
        raise InvalidInput(
            f"共有できない項目です: {unknown}(使える項目: {', '.join(SHAREABLE_FIELDS)})。", field="share"
        )
    personal = [f for f in chosen if f in PERSONAL_FIELDS]
    if personal and not may_share_personal(consent, legal_ground):
        raise InvalidInput(
            f"本人の同意がなく({consent})、法的根拠も記録されていないため、個人に関わる項目 {personal} は"
            "共有できません。同意を得るか、法的根拠(生命の危険・虐待など)を記録してください。",
            field="share",
        )
    return chosen


@dataclass(frozen=True)
class ShareOption:
    field: str
    label: str
    personal: bool
    allowed: bool
    reason: str | None  # why it may not be shared (Japanese); None when allowed


def share_options(consent: str, legal_ground: str | None) -> list[ShareOption]:
    """Every shareable field and whether ``check_share`` would accept it now."""
    reason = (
        None
        if may_share_personal(consent, legal_ground)
        else (
            f"本人の同意がなく({consent})、法的根拠も記録されていないため共有できません。"
            "同意を得るか、法的根拠(生命の危険・虐待など)を記録してください。"
        )
    )
    options = []
    for f in SHAREABLE_FIELDS:
        refused = reason if f in PERSONAL_FIELDS else None
        options.append(
            ShareOption(
                field=f,
                label=SHAREABLE_LABELS[f],
                personal=f in PERSONAL_FIELDS,
                allowed=refused is None,
                reason=refused,
            )
        )
    return options


@dataclass(frozen=True)
class CaseFacts:
    """What a referral may carry, one value per shareable field."""

    person_name: str | None
    age_group: str | None
    approximate_place: str | None
    school_district: str
    categories: list[str]
    household: list[dict[str, str | None]]
    noticed: str
    urgency: str


def shared_values(facts: CaseFacts, fields: Iterable[str]) -> dict[str, object]:
    """Only the chosen fields' values: nothing else about the case leaves it."""
    return {f: getattr(facts, f) for f in fields}
