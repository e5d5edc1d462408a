"""The case service's HTTP request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.case.domain.queue import Priority
from shared.events.consultation import Consent
from shared.http.paging import Page
from shared.http.text import MAX_VERSION, Text
from shared.plausible import FreeText, RecordedTime

ContactChannel = Literal["訪問", "電話", "来所", "メール", "オンライン", "同行", "ケース会議", "その他"]


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=MAX_VERSION, description="操作の基にしたケースの版 (古ければ 409)")


class AssignmentIn(_Command):
    coordinator_id: Text = Field(min_length=1, max_length=64, description="担当コーディネーターの id")


class BulkAssignmentItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    case_id: Text = Field(min_length=1, max_length=26)
    version: int = Field(ge=1, le=MAX_VERSION, description="そのケースの、操作の基にした版 (古ければ conflict)")


class BulkAssignmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    coordinator_id: Text = Field(min_length=1, max_length=64, description="担当コーディネーターの id")
    items: list[BulkAssignmentItem] = Field(min_length=1, max_length=100, description="ケース(重複不可、この順に処理)")


class AssignmentOutcome(BaseModel):
    case_id: str
    case_number: str | None = Field(description="ケース番号(見つからない・閲覧できないときは null)")
    outcome: Literal["assigned", "conflict", "not_found", "unchanged", "invalid"]
    version: int | None = Field(None, description="担当を替えた後の版 (assigned のとき)")
    current_version: int | None = Field(None, description="いまの版 (conflict のとき。unchanged・invalid でも分かれば)")
    message: str | None = Field(None, description="担当を替えなかった理由 (assigned 以外)")


class BulkAssignmentResult(BaseModel):
    coordinator_id: str
    assigned: int = Field(description="担当を替えたケースの数")
    results: list[AssignmentOutcome] = Field(description="ケースごとの結果(指定した順)")


class StatusIn(_Command):
    to: Text = Field(min_length=1, max_length=8, description="受付 / 対応中 / つなぎ中 / 見守り / 終結")
    reason: FreeText | None = Field(None, max_length=500, description="理由(任意)")


class TriageIn(_Command):
    priority: Priority | None = Field(None, description="緊急 / 高 / 通常")
    categories: list[Text] | None = Field(None, max_length=10, description="相談分類 (reference/categories.yaml)")


class AreaIn(_Command):
    area: Text = Field(min_length=1, max_length=40, description="日常生活圏域 (または 市全域)")


class ConsentIn(_Command):
    consent: Consent
    legal_ground: FreeText | None = Field(None, max_length=500, description="同意がない場合の法的根拠")


class ContactIn(_Command):
    contacted_at: RecordedTime | None = Field(
        None, description="接触日時(省略時は現在。ケースの受付より前・未来は不可。時差なしは日本時間)"
    )
    channel: ContactChannel
    whom: FreeText = Field(min_length=1, max_length=100, description="誰と(例: 本人、長男、民生委員)")
    outcome: FreeText = Field(min_length=1, max_length=2000, description="結果")


class NoteIn(_Command):
    body: FreeText = Field(min_length=1, max_length=4000)


class MemberIn(_Command):
    relation: FreeText = Field(min_length=1, max_length=40, description="続柄")
    age_group: Text | None = Field(None, max_length=20, description="年代 (reference/age_groups.yaml)")
    name: FreeText | None = Field(None, max_length=100)
    note: FreeText | None = Field(None, max_length=500)


class ReferralIn(_Command):
    agency_id: Text = Field(min_length=1, max_length=64, description="紹介先 (reference/agencies.yaml)")
    purpose: FreeText = Field(min_length=1, max_length=1000, description="紹介の目的")
    share: list[Text] = Field(
        default_factory=list, max_length=8, description="紹介先に共有する項目 (shared.events.referral.SHAREABLE_FIELDS)"
    )
    member_id: Text | None = Field(
        None, max_length=26, description="世帯員ひとりの紹介のとき、その世帯員の id(共有する項目はその人のもの)"
    )


class MergeIn(_Command):
    into_case_id: Text = Field(min_length=1, max_length=26, description="統合先のケース id")


class VersionIn(_Command):
    pass


class CommandResult(BaseModel):
    case_id: str
    version: int
    referral_id: str | None = None
    contact_id: str | None = None
    note_id: str | None = None
    member_id: str | None = None


class Attention(BaseModel):
    referral_id: str
    agency_id: str
    reason: str = Field(description="紹介先の辞退理由")
    declined_at_jst: str | None


class WaitOut(BaseModel):
    step: Literal["assignment", "first_contact", "decision"] = Field(
        description="待っている段階: assignment (未割当) / first_contact (初回接触待ち) / decision (要判断)"
    )
    label: str = Field(description="段階の呼び方")
    since_jst: str = Field(description="いつから(受付・担当決定・最後の紹介の終了)")
    amount: int = Field(description="待った長さ(unit の単位、切り捨て)")
    unit: Literal["business_hours", "business_days"]
    text: str = Field(description="画面の表示(例: 未割当 3営業時間)")


class CaseSummary(BaseModel):
    id: str
    case_number: str
    area: str
    school_district: str
    status: str
    stage: str
    priority: str
    categories: list[str]
    coordinator_id: str | None
    needs_attention: bool
    attention: list[Attention]
    decision_needed: bool = Field(
        default=False, description="紹介がすべて終わり、次の対応(見守り・別の紹介・終結)の判断待ち(要判断)"
    )
    waits: list[WaitOut] = Field(default_factory=list, description="段階ごとの待ち時間(営業時間・営業日)")
    opened_at: datetime
    opened_at_jst: str
    age_days: int
    merged_into: str | None
    sample: bool
    version: int


class Queue(Page[CaseSummary]):
    counts: dict[str, int] = Field(
        description="列ごとの件数: unassigned / mine / all、および urgent (緊急) と needs_attention (辞退への対応待ち)"
    )


class ShareOption(BaseModel):
    field: str = Field(description="shared.events.referral.SHAREABLE_FIELDS の項目")
    label: str = Field(description="画面での呼び方")
    personal: bool = Field(description="個人に関わる項目(同意か法的根拠が必要)")
    allowed: bool = Field(description="いま紹介で共有できるか")
    reason: str | None = Field(description="共有できない理由(共有できるときは null)")


class SearchResult(Page[CaseSummary]):
    """The cases found, most recently opened first (a merged case as the case it joined)."""

    query: str = Field(description="検索した言葉(前後の空白を除く)")
    matched_by: Literal["case_number", "reference", "name"] | None = Field(
        description="何で見つかったか: ケース番号 / 受付番号 / 氏名・ふりがな(見つからなければ null)"
    )


class CaseDetail(CaseSummary):
    consent: str
    legal_ground: str | None
    person: dict[str, Any]
    channel: str
    received_at_jst: str | None = Field(description="受付(相談を受け付けた日時): 各所要時間の起点")
    assigned_at_jst: str | None = Field(description="最初に担当が決まった日時")
    triaged_at_jst: str | None = Field(description="最初にトリアージした日時")
    decision_needed_at_jst: str | None = Field(description="要判断になった日時(判断済みなら null)")
    first_contact_at_jst: str | None
    first_handoff_at_jst: str | None
    closed_at_jst: str | None
    merged_cases: list[str]
    consultations: list[dict[str, Any]]
    household: list[dict[str, Any]]
    referrals: list[dict[str, Any]]
    contacts: list[dict[str, Any]] = Field(description="新しい20件(古い順)")
    contacts_total: int = Field(description="接触記録の件数(すべて)")
    notes: list[dict[str, Any]] = Field(description="新しい20件(古い順)")
    notes_total: int = Field(description="メモの件数(すべて)")
    link_offers: list[dict[str, Any]]
    allowed_statuses: list[str] = Field(
        description="POST /status がいま受け付ける状態(理由はどれも任意。承認が要る移動は approval_required で答えます)"
    )
    referable: bool = Field(description="いま紹介を依頼できるか")
    referable_reason: str | None = Field(description="紹介を依頼できない理由(できるときは null)")
    share_options: list[ShareOption] = Field(description="紹介で共有できる項目と、いま共有できるか")


class TimelineActor(BaseModel):
    role: str
    id: str


class TimelineEntry(BaseModel):
    event_id: str
    case_id: str
    type: str
    kind: str
    label: str
    occurred_at: datetime
    occurred_at_jst: str
    actor: TimelineActor
    correlation_id: str
    causation_id: str | None
    summary: dict[str, Any]
    content_hash: str
    intact: bool = Field(description="記録時のハッシュと一致するか(改ざん検知)")
    seq: int = Field(description="ケースの経過の通し番号(追記された順)")
    chain_hmac: str = Field(description="ハッシュチェーンのリンク(前の経過のリンクと内容の HMAC)")
    erased_at: datetime | None = Field(
        None, description="保存期間の経過で要約の個人情報を消去した日時(ハッシュは記録時のまま)"
    )


class Timeline(BaseModel):
    case_id: str
    case_number: str
    items: list[TimelineEntry]
    seal: str = Field(description="全エントリのハッシュを順に連結したダイジェスト")
    # Paged (page / per_page / limit / offset / cursor given): where this page sits, as a Page says.
    total: int | None = Field(None, description="条件に合う件数(ページで読んだとき)")
    page: int | None = None
    per_page: int | None = None
    offset: int | None = None
    limit: int | None = None
    next_cursor: str | None = Field(None, description="次のページを読むときの cursor(ページで読んだとき)")


class ReadOut(BaseModel):
    case_id: str
    referral_id: str | None = Field(description="紹介を読んだときはその紹介")
    reader_role: str
    reader_id: str
    what: str = Field(
        description="detail / timeline / export-csv / referral.detail / referral.fhir / referral.move など"
    )
    read_at: datetime
    read_at_jst: str


class Reads(Page[ReadOut]):
    pass


class ChainBreak(BaseModel):
    kind: Literal["edited", "deleted", "inserted", "reordered", "truncated"]
    label: str = Field(description="書き換え / 削除 / 挿入 / 順序の入れ替え / 末尾の切り詰め")
    seq: int = Field(description="最初に壊れている経過の番号(ケースごとの通し番号)")
    event_id: str | None
    detail: str


class ChainVerification(BaseModel):
    case_id: str
    entries: int
    verified: int = Field(description="最初の破損までに検証できた経過の数")
    intact: bool
    broken: ChainBreak | None


class TimelineVerification(BaseModel):
    case_id: str
    intact: bool = Field(description="ケース(と統合されたケース)の経過のハッシュチェーンがすべて検証できたか")
    entries: int
    chains: list[ChainVerification]
    verified_at_jst: str
