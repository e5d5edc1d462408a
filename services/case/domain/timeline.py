"""What a timeline entry keeps of an event, and how an entry shows tampering. No I/O."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

# Free text and personal detail stay where they belong (the case's own records, the
# agency's inbox); the timeline keeps identifiers, choices and decisions.
_DROPPED_KEYS = frozenset(
    {
        "noticed",
        "person",
        "household",
        "shared",
        "note",
        "purpose",
        "error",
        "look_for",
        "instructions",
        "remark",
        "request_reason",
        "decision_reason",
        "missing",
        "title",
    }
)
# Keys whose meaning depends on the event: a conference's decision is its words (an
# approval's decision, approved or refused, stays).
_DROPPED_BY_TYPE: dict[str, frozenset[str]] = {"case.conference_decided": frozenset({"decision"})}

LABELS: dict[str, str] = {
    "consultation.submitted": "相談受付",
    "case.opened": "ケース開始",
    "case.consultation_linked": "相談の結び付け",
    "case.assigned": "担当決定",
    "case.status_changed": "状態変更",
    "case.stage_changed": "通報者向け段階の変更",
    "case.triaged": "トリアージ",
    "case.moved": "圏域の変更",
    "case.consent_recorded": "同意・法的根拠の記録",
    "case.contact_recorded": "接触記録",
    "case.note_added": "メモ",
    "case.household_member_added": "世帯員の追加",
    "case.link_offered": "同一の可能性がある相談",
    "case.merged": "ケース統合",
    "case.merge_undone": "ケース統合の取消",
    "case.attention_cleared": "辞退への対応",
    "case.decision_needed": "次の対応の判断待ち(紹介がすべて終了)",
    "case.retention_erased": "保存期間経過による個人情報の消去",
    "case.watch_started": "見守りの開始",
    "case.watch_changed": "見守り計画の変更",
    "case.watch_ended": "見守りの終了",
    "case.checked_in": "見守りの確認",
    "case.helper_task_assigned": "地域の支援者への依頼",
    "case.helper_task_accepted": "支援者が依頼を引き受け",
    "case.helper_task_declined": "支援者が依頼を辞退",
    "case.helper_task_checked_in": "支援者の確認",
    "case.helper_task_done": "支援者の依頼が完了",
    "case.helper_task_cancelled": "支援者への依頼の取消",
    "case.approval_requested": "監督者への承認依頼",
    "case.approval_decided": "監督者の判断",
    "case.approval_withdrawn": "承認依頼の取り下げ",
    "case.approval_carried_out": "承認された操作の実行",
    "case.unmet_need_recorded": "サービスがないニーズの記録",
    "case.need_gathered": "地域課題へのとりまとめ",
    "case.conference_planned": "会議の予定",
    "case.conference_held": "会議の開催",
    "case.conference_cancelled": "会議の中止",
    "case.conference_decided": "会議で決まったこと",
    "case.conference_shared": "会議の参加者への情報共有",
    "case.conference_task_set": "会議で決めた役割",
    "case.conference_task_closed": "会議で決めた役割の完了・取消",
    "case.member_needs_recorded": "世帯員のニーズの記録",
    "case.activity_recorded": "活動記録",
    "referral.requested": "紹介依頼",
    "referral.received": "紹介先で受信",
    "referral.acknowledged": "紹介先が確認",
    "referral.accepted": "紹介先が受諾",
    "referral.declined": "紹介先が辞退",
    "referral.status_changed": "紹介の進捗",
    "notification.recorded": "通知",
    "notification.delivery_failed": "通知の配信失敗",
    "referral.sharing_restricted": "共有項目の取り下げ(同意の撤回)",
    "followup.fired": "フォローアップ",
}


def summarise(payload: dict[str, Any], event_type: str = "") -> dict[str, Any]:
    dropped = _DROPPED_KEYS | _DROPPED_BY_TYPE.get(event_type, frozenset())
    return {k: v for k, v in payload.items() if k not in dropped}


def content_hash(
    *,
    event_id: str,
    case_id: str,
    type_: str,
    occurred_at: datetime,
    actor_role: str,
    actor_id: str,
    summary: dict[str, Any],
) -> str:
    canonical = json.dumps(
        {
            "event_id": event_id,
            "case_id": case_id,
            "type": type_,
            "occurred_at": occurred_at.isoformat(timespec="microseconds"),
            "actor_role": actor_role,
            "actor_id": actor_id,
            "summary": summary,
        },
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def chain(hashes: list[str]) -> str:
    """One digest over the whole timeline in order: an export's seal."""
    digest = hashlib.sha256()
    for h in hashes:
        digest.update(h.encode("ascii"))
    return digest.hexdigest()


def matches_kind(type_: str, kinds: list[str]) -> bool:
    """``kind=referral`` matches every referral.* event; ``kind=referral.accepted`` one."""
    return not kinds or any(type_ == k or type_.split(".", 1)[0] == k for k in kinds)
