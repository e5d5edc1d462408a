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

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import yaml
from pydantic import (
    Field,
    ValidationError,
    field_validator,
)

from shared.calendar import JAPAN_PUBLIC, BusinessCalendar
from shared.followup_sections import (
    DEFAULT_CALENDAR,
    SPAN_KEYS,
    ApprovalOverrides,
    CaseDeadlines,
    CasesSection,
    ConferenceTaskOverrides,
    Deadlines,
    KindOverrides,
    Overrides,
    PolicyCalendar,
    Section,
    WatchOverrides,
    listing,
    no_none,
    urgency_names,
)
from shared.spans import Span

FILE = "followups.yaml"


class FollowupPolicyError(ValueError):
    """The policy file cannot be used; the message names the file and where in it."""


class FollowupPolicy(Section):
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
        return urgency_names(raw)

    @field_validator("calendars", "agency_kinds", mode="before")
    @classmethod
    def _empty_sections(cls, raw: Any) -> Any:
        return no_none(raw)

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
                f"{source}: expected the sections {listing(tuple(cls.model_fields))} at the top level, got {raw!r}"
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
            return f"missing: the default must set every one of {listing(SPAN_KEYS)}"
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
