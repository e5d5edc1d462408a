"""The city's follow-up policy (``reference/followups.yaml``): how long an agency has to
acknowledge a referral, to accept or decline it and between progress reports, and
after how long a missed deadline is escalated — by agency kind and urgency, in the
agency's business calendar — and the same ladder for a missed 見守り check-in
(``watch``: its escalation spans; the check-in's own due time is the watch plan's), a
case waiting to be assigned or first contacted (``cases``), a community helper's task
past its due day (``helper_tasks``: escalation spans, as ``watch``), a case conference's
task left open past its due day (``conference_tasks``), and a supervisor's approval
request (``approvals``: how long it may wait).

One model, read with the rest of the reference data (``shared.reference``), so a
reference reload reloads it too. The referral service shows the deadlines from it,
notify chases them (its escalation ladder is notify's own rule, built on these spans)
and the case service judges "accepted within the deadline" with it. Business days are
counted only by ``shared.calendar``.

Strict: an unknown section or key, a missing default or a malformed span is refused
with the file, where in it and what to write instead."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, get_args

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    ValidationError,
    field_validator,
    model_validator,
)

from shared.calendar import JAPAN_PUBLIC, BusinessCalendar, Span, SpanError
from shared.events.consultation import Urgency

FILE = "followups.yaml"
Step = Literal["acknowledge", "decide", "progress"]
STEPS: tuple[Step, ...] = ("acknowledge", "decide", "progress")
SPAN_KEYS: tuple[str, ...] = (*STEPS, "escalate_to_coordinator", "escalate_to_supervisor")
URGENCIES: tuple[str, ...] = get_args(Urgency)
DEFAULT_CALENDAR = "jp-public"


class FollowupPolicyError(ValueError):
    """The policy file cannot be used; the message names the file and where in it."""


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


def _listing(names: tuple[str, ...] | list[str]) -> str:
    return ", ".join(names)


class _Section(BaseModel):
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
            raise ValueError(f"unknown {word} {', '.join(named)}; allowed here: {_listing(allowed)}")
        return raw


def _no_none(raw: Any) -> Any:
    return {} if raw is None else raw


class Overrides(_Section):
    """Some of the spans, overriding the default for an agency kind, an urgency or both."""

    acknowledge: PolicySpan | None = None
    decide: PolicySpan | None = None
    progress: PolicySpan | None = None
    escalate_to_coordinator: PolicySpan | None = None
    escalate_to_supervisor: PolicySpan | None = None

    def given(self) -> dict[str, Span]:
        return {key: span for key in SPAN_KEYS if (span := getattr(self, key)) is not None}


def _urgencies(raw: Any) -> Any:
    raw = _no_none(raw)
    if isinstance(raw, dict):
        unknown = [key for key in raw if key not in URGENCIES]
        if unknown:
            raise ValueError(
                f"unknown urgency {', '.join(repr(k) for k in unknown)}; the urgencies are {_listing(URGENCIES)}"
            )
    return raw


class WatchOverrides(_Section):
    """A chase whose due time is set elsewhere — a watch plan's missed check-in (見守り),
    a helper's task past its due day: after how long the first reminder is escalated to
    the coordinator, then to the supervisor (the default's spans if unset)."""

    escalate_to_coordinator: PolicySpan | None = None
    escalate_to_supervisor: PolicySpan | None = None

    def given(self) -> dict[str, Span]:
        return {key: span for key in SPAN_KEYS[3:] if (span := getattr(self, key)) is not None}


CASE_STEPS: tuple[str, ...] = ("assign", "first_contact", "escalate_to_supervisor")


class CaseOverrides(_Section):
    """Some of a case's own spans (``cases``, or under ``cases.urgency`` per urgency)."""

    assign: PolicySpan | None = None
    first_contact: PolicySpan | None = None
    escalate_to_supervisor: PolicySpan | None = None

    def given(self) -> dict[str, Span]:
        return {key: span for key in CASE_STEPS if (span := getattr(self, key)) is not None}


class CaseDeadlines(_Section):
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
        return _urgencies(raw)


class ApprovalOverrides(_Section):
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
        return _urgencies(raw)


class Deadlines(_Section):
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
                raise ValueError(f"must set every one of {_listing(SPAN_KEYS)} (missing: {_listing(missing)})")
        return raw

    def for_step(self, step: str) -> Span:
        span: Span = getattr(self, step)
        return span


class FollowupPolicy(_Section):
    """The whole file. ``deadlines(kind, urgency)``: the default, overridden by the
    agency kind, then the urgency, then the kind's urgency — most specific wins, span
    by span. ``calendar(name)``: an agency's business calendar."""

    _WORD: ClassVar[str] = "section"

    sample: bool = False
    # jp-public is always there (redefinable): see _japan_public_always.
    calendars: dict[str, PolicyCalendar] = Field(default_factory=dict, validate_default=True)
    default: Deadlines
    urgency: dict[str, Overrides] = {}
    agency_kinds: dict[str, KindOverrides] = {}
    watch: WatchOverrides = WatchOverrides()
    cases: CasesSection = CasesSection()
    helper_tasks: WatchOverrides = WatchOverrides()
    approvals: ApprovalOverrides = ApprovalOverrides()
    conference_tasks: ConferenceTaskOverrides = ConferenceTaskOverrides()

    @field_validator("urgency", mode="before")
    @classmethod
    def _urgency_names(cls, raw: Any) -> Any:
        return _urgencies(raw)

    @field_validator("calendars", "agency_kinds", mode="before")
    @classmethod
    def _empty_sections(cls, raw: Any) -> Any:
        return _no_none(raw)

    @field_validator("calendars", mode="after")
    @classmethod
    def _japan_public_always(cls, calendars: dict[str, BusinessCalendar]) -> dict[str, BusinessCalendar]:
        return {DEFAULT_CALENDAR: JAPAN_PUBLIC, **calendars}

    # Reading it ------------------------------------------------------------------------
    def deadlines(self, agency_kind: str | None, urgency: str | None) -> Deadlines:
        kind = self.agency_kinds.get(agency_kind or "")
        merged: dict[str, Span] = {}
        for layer in (kind, self.urgency.get(urgency or ""), kind.urgency.get(urgency or "") if kind else None):
            if layer is not None:
                merged.update(layer.given())
        return self.default.model_copy(update=merged) if merged else self.default

    def watch_deadlines(self) -> Deadlines:
        """The spans that chase a missed check-in: the default, overridden by ``watch``."""
        return self._escalations(self.watch)

    def helper_task_deadlines(self) -> Deadlines:
        """The spans that chase a helper's task past its due day: the default, overridden by ``helper_tasks``."""
        return self._escalations(self.helper_tasks)

    def _escalations(self, section: WatchOverrides) -> Deadlines:
        given = section.given()
        return self.default.model_copy(update=given) if given else self.default

    def case_deadlines(self, urgency: str | None) -> CaseDeadlines:
        """The spans that chase an unassigned or uncontacted case: the defaults, then
        ``cases``, then ``cases.urgency[urgency]`` (most specific wins)."""
        merged = {**self.cases.given()}
        layer = self.cases.urgency.get(urgency or "")
        if layer is not None:
            merged.update(layer.given())
        return CaseDeadlines().model_copy(update=merged)

    def approval_deadlines(self) -> Deadlines:
        """The spans of an approval request: ``decide`` (how long it may wait) and its
        escalations — the default, overridden by ``approvals``."""
        given = self.approvals.given()
        return self.default.model_copy(update=given) if given else self.default

    def conference_task_deadlines(self) -> Deadlines:
        """The spans that chase an open conference task: the default, overridden by ``conference_tasks``."""
        given = self.conference_tasks.given()
        return self.default.model_copy(update=given) if given else self.default

    def has_calendar(self, name: str) -> bool:
        return name in self.calendars

    def calendar(self, name: str | None) -> BusinessCalendar:
        """The named calendar; ``jp-public`` when none is named (or, defensively, an
        unknown name: the reference data refuses an agency naming one)."""
        return self.calendars.get(name or DEFAULT_CALENDAR) or self.calendars[DEFAULT_CALENDAR]

    def due(
        self, step: str, start: datetime, *, agency_kind: str | None, urgency: str | None, calendar: str | None
    ) -> datetime:
        """When ``step`` is due for a referral to an agency of ``agency_kind`` (with its
        business ``calendar``) at ``urgency``, counted from ``start``."""
        return self.deadlines(agency_kind, urgency).for_step(step).after(start, self.calendar(calendar))

    # Loading it ------------------------------------------------------------------------
    @classmethod
    def from_mapping(cls, raw: Any, source: str = FILE) -> FollowupPolicy:
        """``raw``: the parsed YAML. Raises FollowupPolicyError, one line per problem,
        each starting with ``source`` (the file) and the path of the bad key."""
        if not isinstance(raw, Mapping):
            raise FollowupPolicyError(
                f"{source}: expected the sections {_listing(tuple(cls.model_fields))} at the top level, got {raw!r}"
            )
        try:
            return cls.model_validate(dict(raw))
        except ValidationError as exc:
            raise FollowupPolicyError("\n".join(_line(source, e) for e in exc.errors())) from exc


def _line(source: str, error: Mapping[str, Any]) -> str:
    """``followups.yaml: agency_kinds.NPO.decide: what is wrong and what to write``."""
    where = ".".join(str(part) for part in error["loc"])
    return f"{source}: {where + ': ' if where else ''}{_what(error)}"


def _what(error: Mapping[str, Any]) -> str:
    if error["type"] == "value_error":
        return str(error["ctx"]["error"])
    if error["type"] == "missing":
        if error["loc"] == ("default",):
            return f"missing: the default must set every one of {_listing(SPAN_KEYS)}"
        return "missing"
    if error["type"] in ("bool_type", "bool_parsing"):
        return f"must be true or false, got {error['input']!r}"
    if error["type"] in ("dict_type", "model_type"):
        return f"expected indented `key: value` lines, got {error['input']!r}"
    return str(error["msg"])


def load_followup_policy(path: Path) -> FollowupPolicy:
    """Read and check a policy file (``reference/followups.yaml``, or notify's
    ``TSUNAGI_NOTIFY_FOLLOWUP_POLICY``). Raises FollowupPolicyError naming the file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise FollowupPolicyError(f"reference data file missing: {path}") from exc
    except yaml.YAMLError as exc:
        raise FollowupPolicyError(f"{path}: not valid YAML: {exc}") from exc
    return FollowupPolicy.from_mapping(raw, source=str(path))
