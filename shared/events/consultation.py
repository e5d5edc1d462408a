"""consultation.* — published by intake."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from shared.events.envelope import EventPayload
from shared.events.personal import OptionalPersonalText, PersonalText

Urgency = Literal["緊急", "高", "通常"]
Consent = Literal["同意あり", "同意なし", "未確認"]


class HouseholdMember(BaseModel):
    model_config = ConfigDict(frozen=True)

    # The relation and age group are coarse choices from a list; name and note identify.
    relation: str
    age_group: str | None = None
    name: OptionalPersonalText = None
    note: OptionalPersonalText = None


class PersonConcerned(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: OptionalPersonalText = None  # may be unknown
    age_group: str | None = None
    approximate_place: OptionalPersonalText = None
    name_kana: OptionalPersonalText = None  # furigana (kana only), if the reporter knows it


class ConsultationSubmitted(EventPayload):
    """A reporter raised a consultation and intake stored it. Carries what the case
    service needs to open or join a case; consumed only by the case service."""

    TYPE: ClassVar[str] = "consultation.submitted"
    AGGREGATE: ClassVar[str] = "consultation"
    PUBLISHER: ClassVar[str] = "intake"

    consultation_id: str
    reference: str
    reporter_id: str
    reporter_role: str
    channel: str
    school_district: str
    categories: list[str]
    urgency: Urgency
    consent: Consent
    legal_ground: str | None = None
    person: PersonConcerned
    household: list[HouseholdMember] = []
    noticed: PersonalText
    sample: bool = False
    # When intake received it (ISO, UTC): the case's times are measured from here.
    received_at: str | None = None
