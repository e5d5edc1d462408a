"""What the conference routes answer (conferences_api.py): a meeting in a list, and its
minutes — the cases with their decisions, the disclosures, the tasks."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field


class Summary(BaseModel):
    id: str
    kind: str
    title: str
    held_on: date
    status: str
    status_label: str
    version: int


class MemberShared(BaseModel):
    member_id: str
    relation: str
    shared: dict[str, Any] = Field(description="この世帯員について共有された項目の値")


class MemberRef(BaseModel):
    id: str
    relation: str
    age_group: str | None


class DiscussedCase(BaseModel):
    case_id: str
    case_number: str
    area: str
    decision: str | None
    decided_at: datetime | None
    shared: dict[str, Any] | None = Field(None, description="関係機関が読むとき: 共有された項目の値だけ")
    members_shared: list[MemberShared] | None = Field(
        None, description="関係機関が読むとき: 世帯員ごとに共有された項目の値"
    )
    members: list[MemberRef] | None = Field(
        None, description="会議を記録できる人が自分で見られるケースのとき: 共有の対象に選べる世帯員(続柄・年代)"
    )


class Disclosure(BaseModel):
    case_id: str
    member_id: str | None = Field(description="世帯員についての共有(null: ケースの本人)")
    member_relation: str | None = Field(description="その世帯員の続柄")
    field: str
    field_label: str
    legal_ground: str | None = Field(description="開示の法的根拠(null: 本人の同意)")
    consent: str
    shared_by: str
    shared_at: datetime


class Task(BaseModel):
    id: str
    case_id: str
    title: str
    owner_kind: str
    owner_id: str
    due_on: date
    status: str
    status_label: str
    closed_at: datetime | None


class Minutes(Summary):
    accounts: list[str]
    agencies: list[str]
    cases: list[DiscussedCase]
    disclosures: list[Disclosure]
    tasks: list[Task]
    may_write: bool = Field(description="この人が会議を記録できるか")
