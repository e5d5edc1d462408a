"""case.member_needs_recorded — a household member's own needs (each member their own
categories, consent and language)."""

from __future__ import annotations

from typing import ClassVar

from shared.events.envelope import EventPayload
from shared.events.personal import OptionalPersonalText


class MemberNeedsRecorded(EventPayload):
    """A household member's own needs: categories, consent where it differs from the
    case's (None: the case's), whether an interpreter is needed; the language is sealed."""

    TYPE: ClassVar[str] = "case.member_needs_recorded"
    AGGREGATE: ClassVar[str] = "case"
    PUBLISHER: ClassVar[str] = "case"

    case_id: str
    member_id: str
    area: str
    categories: list[str]
    consent: str | None
    language: OptionalPersonalText = None
    interpreter: bool
