"""The follow-up policy's sections and their field types (``shared.followups`` is the
whole file): a span (business days, hours, calendar days), a business calendar, the
deadlines of a referral's steps and the escalations of each kind of work, each section
strict about its keys and saying what to write instead."""

from __future__ import annotations

import difflib
from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    PlainSerializer,
    PlainValidator,
    field_validator,
    model_validator,
)

from shared.calendar import BusinessCalendar
from shared.events.consultation import Urgency
from shared.spans import Span, SpanError

Step = Literal["acknowledge", "decide", "progress"]
STEPS: tuple[Step, ...] = ("acknowledge", "decide", "progress")
SPAN_KEYS: tuple[str, ...] = (*STEPS, "escalate_to_coordinator", "escalate_to_supervisor")
URGENCIES: tuple[str, ...] = get_args(Urgency)
DEFAULT_CALENDAR = "jp-public"


# Field types ------------------------------------------------------------------------


def _span(raw: Any) -> Span:
    if isinstance(raw, Span):
        return raw
    try:
        return Span.from_config(raw)
    except SpanError as exc:
        raise ValueError(str(exc)) from exc


def _calendar(raw: Any) -> BusinessCalendar:
    if isinstance(raw, BusinessCalendar):
        return raw
    if raw is not None and not isinstance(raw, dict):
        raise ValueError(f"expected the calendar's settings (year_end_closure, closed_days), got {raw!r}")
    return BusinessCalendar.from_config(raw)  # ValueError says what is wrong


def _span_as_config(span: Span) -> dict[str, int | float]:
    if span.hours is not None:
        return {"hours": span.hours}
    if span.business_hours is not None:
        return {"business_hours": span.business_hours}
    return {"business_days": span.business_days or 0}


def _calendar_as_config(calendar: BusinessCalendar) -> dict[str, Any]:
    closure = calendar.year_end_closure
    return {
        "year_end_closure": None
        if closure is None
        else {"from": f"{closure[0][0]:02d}-{closure[0][1]:02d}", "to": f"{closure[1][0]:02d}-{closure[1][1]:02d}"},
        "closed_days": [day.isoformat() for day in sorted(calendar.closed_days)],
        "office_hours": {"from": f"{calendar.office_hours[0]:%H:%M}", "to": f"{calendar.office_hours[1]:%H:%M}"},
    }


# Read from and written back as the file writes them (model_dump gives the YAML's shape).
PolicySpan = Annotated[Span, PlainValidator(_span), PlainSerializer(_span_as_config)]
PolicyCalendar = Annotated[BusinessCalendar, PlainValidator(_calendar), PlainSerializer(_calendar_as_config)]


def listing(names: tuple[str, ...] | list[str]) -> str:
    return ", ".join(names)


class Section(BaseModel):
    """A mapping of the file: refuses keys it does not know, naming them, the nearest
    known one (a typo) and what is allowed there. An empty section (``NPO:`` with
    nothing under it) is an empty mapping."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    _WORD: ClassVar[str] = "key"

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, raw: Any) -> Any:
        if raw is None:
            return {}
        if isinstance(raw, BaseModel):
            return raw
        if not isinstance(raw, dict):
            raise ValueError(f"expected indented `key: value` lines, got {raw!r}")
        allowed = tuple(cls.model_fields)
        unknown = [key for key in raw if key not in allowed]
        if unknown:
            named = []
            for key in unknown:
                near = difflib.get_close_matches(str(key), allowed, n=1)
                named.append(f"{key!r}" + (f" (did you mean {near[0]!r}?)" if near else ""))
            word = cls._WORD + ("s" if len(unknown) > 1 else "")
            raise ValueError(f"unknown {word} {', '.join(named)}; allowed here: {listing(allowed)}")
        return raw


def no_none(raw: Any) -> Any:
    return {} if raw is None else raw


class Overrides(Section):
    """Some of the spans, overriding the default for an agency kind, an urgency or both."""

    acknowledge: PolicySpan | None = None
    decide: PolicySpan | None = None
    progress: PolicySpan | None = None
    escalate_to_coordinator: PolicySpan | None = None
    escalate_to_supervisor: PolicySpan | None = None

    def given(self) -> dict[str, Span]:
        return {key: span for key in SPAN_KEYS if (span := getattr(self, key)) is not None}


def urgency_names(raw: Any) -> Any:
    raw = no_none(raw)
    if isinstance(raw, dict):
        unknown = [key for key in raw if key not in URGENCIES]
        if unknown:
            raise ValueError(
                f"unknown urgency {', '.join(repr(k) for k in unknown)}; the urgencies are {listing(URGENCIES)}"
            )
    return raw


class WatchOverrides(Section):
    """A chase whose due time is set elsewhere — a watch plan's missed check-in (見守り),
    a helper's task past its due day: after how long the first reminder is escalated to
    the coordinator, then to the supervisor (the default's spans if unset)."""

    escalate_to_coordinator: PolicySpan | None = None
    escalate_to_supervisor: PolicySpan | None = None

    def given(self) -> dict[str, Span]:
        return {key: span for key in SPAN_KEYS[3:] if (span := getattr(self, key)) is not None}


CASE_STEPS: tuple[str, ...] = ("assign", "first_contact", "escalate_to_supervisor")


class CaseOverrides(Section):
    """Some of a case's own spans (``cases``, or under ``cases.urgency`` per urgency)."""

    assign: PolicySpan | None = None
    first_contact: PolicySpan | None = None
    escalate_to_supervisor: PolicySpan | None = None

    def given(self) -> dict[str, Span]:
        return {key: span for key in CASE_STEPS if (span := getattr(self, key)) is not None}


class CaseDeadlines(Section):
    """A case nobody has taken (未割当) or not yet contacted: ``assign`` — from intake's
    receipt to a coordinator taking it, else the area's coordinators are reminded and,
    ``escalate_to_supervisor`` later, the supervisor; ``first_contact`` — from the
    assignment to the first contact, else its coordinator is reminded."""

    assign: PolicySpan = Span(business_hours=4)
    first_contact: PolicySpan = Span(business_days=2)
    escalate_to_supervisor: PolicySpan = Span(business_hours=4)


class CasesSection(CaseOverrides):
    """``cases``: the spans (defaults where unset) and under ``urgency`` per urgency."""

    urgency: dict[str, CaseOverrides] = {}

    @field_validator("urgency", mode="before")
    @classmethod
    def _urgency_names(cls, raw: Any) -> Any:
        return urgency_names(raw)


class ApprovalOverrides(Section):
    """A supervisor's approval request (監督者の承認): ``decide`` is how long it may wait
    in the supervisor's queue; past it the supervisor is reminded, then the requesting
    area's coordinator hears it still waits, then the supervisor again (the default's
    spans where unset)."""

    decide: PolicySpan | None = None
    escalate_to_coordinator: PolicySpan | None = None
    escalate_to_supervisor: PolicySpan | None = None

    def given(self) -> dict[str, Span]:
        return {key: span for key in ("decide", *SPAN_KEYS[3:]) if (span := getattr(self, key)) is not None}


class ConferenceTaskOverrides(WatchOverrides):
    """A task set at a case conference left open past its due day: after how long the
    owner's reminder is escalated to the coordinator, then to the supervisor."""


class KindOverrides(Overrides):
    """An agency kind's spans, and under ``urgency`` its spans per urgency."""

    urgency: dict[str, Overrides] = {}

    @field_validator("urgency", mode="before")
    @classmethod
    def _urgency_names(cls, raw: Any) -> Any:
        return urgency_names(raw)


class Deadlines(Section):
    """Every span: the ``default`` section, and the merged spans of a referral."""

    acknowledge: PolicySpan
    decide: PolicySpan
    progress: PolicySpan
    escalate_to_coordinator: PolicySpan
    escalate_to_supervisor: PolicySpan

    @model_validator(mode="before")
    @classmethod
    def _every_span(cls, raw: Any) -> Any:
        if raw is None:
            raw = {}
        if isinstance(raw, dict):
            missing = [key for key in SPAN_KEYS if key not in raw]
            if missing:
                raise ValueError(f"must set every one of {listing(SPAN_KEYS)} (missing: {listing(missing)})")
        return raw

    def for_step(self, step: str) -> Span:
        span: Span = getattr(self, step)
        return span
