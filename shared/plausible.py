"""Plausible data: the one place the rules live that keep nonsense out of the figures —
free text that is more than blanks, dates within sane bounds, age groups from the
reference list. Request schemas use the annotated types; handlers, which know the
clock and the case, call ``check_moment`` and ``check_age_group``. Every refusal is a
422 naming the field, in Japanese."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from shared.clock import JST, as_utc, jst_text
from shared.errors import InvalidInput
from shared.http.text import Text

if TYPE_CHECKING:
    from shared.reference import ReferenceData

# Nothing the system records happened before it existed (contacts, visits, notes).
SYSTEM_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
# Clocks of phones and office PCs run a little ahead of the shared clock.
FUTURE_SKEW = timedelta(minutes=5)

BLANK = "blank"
BLANK_JA = "空白だけでは入力になりません。内容を書いてください"
TOO_EARLY = "date_too_early"
JA_TYPES = frozenset({BLANK, TOO_EARLY})  # their message is already Japanese


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError(BLANK, BLANK_JA)
    return value


FreeText = Annotated[Text, AfterValidator(_not_blank)]
"""Free text (what was noticed, a note, an outcome, a reason; ``FreeText | None`` where it
may be left out): whitespace alone is refused — leave it out instead."""


def _not_before_epoch(value: datetime) -> datetime:
    # A time without a zone is Japan time: staff type it so.
    aware = value.replace(tzinfo=JST) if value.tzinfo is None else value
    if as_utc(aware) < SYSTEM_EPOCH:
        raise PydanticCustomError(TOO_EARLY, f"{SYSTEM_EPOCH:%Y年%m月%d日}より前の日時は記録できません")
    return aware


RecordedTime = Annotated[datetime, AfterValidator(_not_before_epoch)]
"""A moment the client says something happened (a contact): aware, after the system's epoch.
Its upper bound (now) and its floor (the case) are the handler's: ``check_moment``."""


def check_moment(
    value: datetime, *, now: datetime, field: str, floor: datetime | None = None, floor_label: str = ""
) -> datetime:
    """``value`` (aware) if it is not after ``now`` beyond the skew nor before ``floor``
    (what it belongs to: the case raised at …); else a 422 naming ``field``."""
    when = as_utc(value)
    if when > now + FUTURE_SKEW:
        raise InvalidInput("未来の日時は記録できません。", field=field)
    if floor is not None and when < as_utc(floor):
        raise InvalidInput(f"{floor_label}({jst_text(floor)})より前の日時は記録できません。", field=field)
    return when


def check_age_group(value: str | None, reference: ReferenceData, field: str) -> None:
    """An age group from ``reference/age_groups.yaml`` (or none): 999代 skews the figures."""
    if value is not None and value not in reference.ids("age_groups"):
        choices = "・".join(a.id for a in reference.age_groups)
        raise InvalidInput(f"年代「{value}」は選択肢にありません(使える値: {choices})。", field=field)
