"""Referral's HTTP request and response bodies.

An agency gets ``AgencyReferral`` (``view: "agency"``): only what was shared with it,
the purpose, the urgency, the status and its deadlines — never anything else about
the case. Coordinators and supervisors get ``StaffReferral`` (``view: "staff"``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.http.paging import Page
from shared.http.text import MAX_VERSION
from shared.plausible import FreeText

Text2000 = Annotated[FreeText, Field(min_length=1, max_length=2000)]


# Requests --------------------------------------------------------------------------------


class MoveIn(BaseModel):
    """Every move names the version it was decided on (楽観的排他制御): if the referral
    changed meanwhile, the move is refused with 409 and the current version."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=0, le=MAX_VERSION, description="取得した紹介の版 (version)")


class NoteMoveIn(MoveIn):
    note: FreeText | None = Field(None, max_length=2000, description="メモ(任意)")


class ReasonMoveIn(MoveIn):
    reason: Text2000 = Field(description="理由(必須)")


class OptionalReasonMoveIn(MoveIn):
    reason: FreeText | None = Field(None, max_length=2000, description="理由(任意)")


# Responses -------------------------------------------------------------------------------


class Deadline(BaseModel):
    at: datetime
    at_jst: str
    overdue: bool
    business_days_left: int = Field(description="今日のあと期限日までの営業日数(0: 今日が期限、負: 超過した営業日数)")
    hours_left: int = Field(description="期限までの時間(切り捨て。負: 超過。緊急の依頼向け)")


class AgencyReferralSummary(BaseModel):
    view: Literal["agency"] = "agency"
    id: str = Field(description="紹介 id")
    case_number: str = Field(description="問い合わせの際に伝える案件番号")
    status: str
    status_label: str
    version: int
    urgency: str
    purpose: str
    received_at_jst: str
    next_deadline: Deadline | None = Field(None, description="次の対応(確認・受諾/辞退)の期限")


class StaffReferralSummary(BaseModel):
    view: Literal["staff"] = "staff"
    id: str = Field(description="紹介 id")
    case_id: str
    case_number: str
    area: str
    agency_id: str
    agency_name: str | None
    status: str
    status_label: str
    fhir_status: str
    version: int
    urgency: str
    received_at_jst: str
    next_deadline: Deadline | None = None


ReferralSummary = Annotated[AgencyReferralSummary | StaffReferralSummary, Field(discriminator="view")]


class ReferralPage(Page[ReferralSummary]):
    pass


class Contact(BaseModel):
    """Whom the agency calls back: the referring coordinator and their area's office."""

    area: str
    office_name: str | None
    phone: str | None
    email: str | None
    coordinator_id: str | None
    coordinator_name: str | None


class AgencyReferral(BaseModel):
    """What the agency sees: exactly these keys."""

    view: Literal["agency"] = "agency"
    id: str = Field(description="紹介 id")
    case_number: str
    status: str
    status_label: str
    version: int
    purpose: str
    urgency: str
    shared: dict[str, Any] = Field(description="コーディネーターが共有した項目のうち、今この機関に見せるもの")
    personal_fields_closed: str | None = Field(
        None, description="個人に関わる項目をもう表示しない理由(辞退・取消・不成立、または完了から一定日数)"
    )
    received_at: datetime
    received_at_jst: str
    updated_at_jst: str
    acknowledge_by: Deadline | None
    decide_by: Deadline | None
    allowed_actions: list[str] = Field(description="この機関が今できる操作")
    reason: str | None = Field(None, description="辞退・不成立などの理由")
    note: str | None = None
    contact: Contact
    history: list[HistoryEntry] = Field(default_factory=list, description="これまでの操作")


class HistoryEntry(BaseModel):
    version: int
    action: str
    from_status: str
    to_status: str
    actor_role: str
    actor_id: str
    reason: str | None
    note: str | None
    at: datetime
    at_jst: str
    event_id: str


class StaffReferral(BaseModel):
    view: Literal["staff"] = "staff"
    id: str = Field(description="紹介 id")
    case_id: str
    case_number: str
    area: str
    agency_id: str
    agency_name: str | None
    status: str
    status_label: str
    fhir_status: str
    fhir_business_status: str | None
    version: int
    purpose: str
    urgency: str
    consent: str
    legal_ground: str | None
    shared: dict[str, Any]
    withheld: list[str] = Field(description="同意・法的根拠がないため共有しなかった項目名")
    received_at: datetime
    received_at_jst: str
    updated_at_jst: str
    acknowledge_by: Deadline | None
    decide_by: Deadline | None
    acknowledged_at_jst: str | None
    decided_at_jst: str | None
    closed_at_jst: str | None
    reason: str | None
    note: str | None
    allowed_actions: list[str] = Field(description="あなたが今できる操作")
    history: list[HistoryEntry]


ReferralView = Annotated[AgencyReferral | StaffReferral, Field(discriminator="view")]


class AgencyOut(BaseModel):
    """A directory entry. Contact addresses are shown; delivery secrets never are."""

    id: str
    name: str
    kind: str
    areas: list[str] = Field(description="担当する日常生活圏域([] = 市全域)")
    city_wide: bool
    channels: list[str]
    calendar: str
    email: str | None
    phone: str | None
    has_webhook: bool


class AgencyDirectoryOut(BaseModel):
    sample: bool = Field(description="サンプルデータなら true")
    items: list[AgencyOut]


class Disclosure(BaseModel):
    referral_id: str
    agency_id: str = Field(description="紹介先の機関")
    reader_role: str
    reader_id: str
    fields: list[str] = Field(description="この閲覧で表示された共有項目の名前(値は含まない)")
    read_at: datetime
    read_at_jst: str


class ShareDecision(BaseModel):
    referral_id: str
    case_id: str
    agency_id: str
    fields_shared: list[str] = Field(description="共有した項目の名前(値は含まない)")
    fields_withheld: list[str] = Field(description="共有しなかった個人の項目の名前(同意の撤回などで)")
    consent: str = Field(description="本人同意(同意あり / 同意なし / 未確認)")
    legal_ground: str | None = Field(description="同意がないときの法的根拠")
    decided_by: str | None = Field(description="紹介を決めたコーディネーター")
    decided_at: datetime
    decided_at_jst: str


class Disclosures(Page[Disclosure]):
    """A page of the reads (each with the shared fields it showed, oldest first) and
    every share decision of the case's or agency's referrals."""

    case_id: str | None
    agency_id: str | None
    decisions: list[ShareDecision] = Field(description="紹介ごとの共有の判断")


AgencyReferral.model_rebuild()
