"""Intake's HTTP request and response bodies."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from shared.events.consultation import Consent, HouseholdMember, PersonConcerned, Urgency
from shared.http.paging import Page
from shared.http.text import Text
from shared.plausible import FreeText


class PersonIn(PersonConcerned):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: FreeText | None = Field(None, max_length=100, description="氏名(不明なら省略)")
    age_group: Text | None = Field(None, max_length=20, description="年代 (reference/age_groups.yaml)")
    approximate_place: FreeText | None = Field(None, max_length=200, description="おおよその場所")
    name_kana: Text | None = Field(None, max_length=100, description="ふりがな(ひらがな・カタカナ、任意)")


class HouseholdMemberIn(HouseholdMember):
    model_config = ConfigDict(extra="forbid", frozen=True)

    relation: FreeText = Field(min_length=1, max_length=40, description="続柄(例: 長男)")
    age_group: Text | None = Field(None, max_length=20, description="年代 (reference/age_groups.yaml)")
    name: FreeText | None = Field(None, max_length=100)
    note: FreeText | None = Field(None, max_length=500)


class ConsultationIn(BaseModel):
    """A consultation as a reporter raises it (相談の受付)."""

    model_config = ConfigDict(extra="forbid")

    reporter_role: Text = Field(min_length=1, max_length=40, description="通報者の区分 (reference/reporters.yaml)")
    channel: Text = Field(min_length=1, max_length=40, description="経路 (reference/reporters.yaml)")
    person: PersonIn = Field(description="相談の対象者(氏名は不明でもよい)")
    school_district: Text = Field(
        min_length=1, max_length=40, description="小学校区の id (reference/geography.yaml)、分からなければ「不明」"
    )
    household: list[HouseholdMemberIn] = Field(default_factory=list, max_length=20, description="世帯の構成")
    categories: list[Text] = Field(min_length=1, max_length=10, description="相談分類 (reference/categories.yaml)")
    noticed: FreeText = Field(min_length=1, max_length=4000, description="気づいたこと")
    urgency: Urgency = Field(description="緊急度: 緊急 / 高 / 通常")
    consent: Consent = Field(description="本人同意: 同意あり / 同意なし / 未確認")
    legal_ground: FreeText | None = Field(
        None, max_length=500, description="同意がない場合の法的根拠(生命の危険・虐待など)"
    )
    sample: bool = Field(False, description="サンプルデータであることを示す")


class ConsultationReceipt(BaseModel):
    reference: str = Field(description="受付番号: 状況の確認に使います")
    stage: str
    received_at: datetime
    received_at_jst: str
    status_url: str


class ConsultationStatus(BaseModel):
    """What the reporter may see: the stage only (受付済 / 対応中 / つなぎ済 / 終結)."""

    reference: str
    stage: str
    received_at: datetime = Field(description="受け付けた日時 (UTC)")
    received_at_jst: str
    updated_at: datetime = Field(description="状況が最後に変わった日時 (UTC)")
    updated_at_jst: str


class MyConsultations(Page[ConsultationStatus]):
    """The caller's own consultations, newest first: the stage of each, nothing else."""
