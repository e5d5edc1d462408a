"""Reads the response deadlines (acknowledge, decide) out of the city's follow-up
policy file, ``reference/followups.yaml``. Only those two steps matter here; the
notify service reads the whole file (reminders, escalations, progress)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from services.referral.domain.deadlines import DEFAULT_CALENDAR, STEPS, ResponsePolicy
from shared.calendar import JAPAN_PUBLIC, BusinessCalendar, Span, SpanError
from shared.reference import ReferenceDataError

FILE = "followups.yaml"


def _span(where: str, raw: Any) -> Span:
    try:
        return Span.parse(where, raw)
    except SpanError as exc:
        raise ReferenceDataError(f"{FILE}: {exc}") from exc


def _steps(where: str, raw: Any) -> dict[str, Span]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ReferenceDataError(f"{FILE}: {where}: expected a mapping")
    return {step: _span(f"{where}.{step}", raw[step]) for step in STEPS if step in raw}


def parse_response_policy(raw: Any) -> ResponsePolicy:
    if not isinstance(raw, dict):
        raise ReferenceDataError(f"{FILE}: expected a mapping at the top level")
    default = _steps("default", raw.get("default"))
    missing = [s for s in STEPS if s not in default]
    if missing:
        raise ReferenceDataError(f"{FILE}: default: missing {', '.join(missing)}")
    by_urgency = {u: _steps(f"urgency.{u}", v) for u, v in (raw.get("urgency") or {}).items()}
    by_kind, by_kind_urgency = {}, {}
    for kind, section in (raw.get("agency_kinds") or {}).items():
        section = dict(section or {})
        for urgency, spans in (section.pop("urgency", None) or {}).items():
            by_kind_urgency[(kind, urgency)] = _steps(f"agency_kinds.{kind}.urgency.{urgency}", spans)
        by_kind[kind] = _steps(f"agency_kinds.{kind}", section)
    calendars: dict[str, BusinessCalendar] = {}
    for name, config in (raw.get("calendars") or {}).items():
        try:
            calendars[name] = BusinessCalendar.from_config(config)
        except ValueError as exc:
            raise ReferenceDataError(f"{FILE}: calendars.{name}: {exc}") from exc
    calendars.setdefault(DEFAULT_CALENDAR, JAPAN_PUBLIC)
    return ResponsePolicy(default=default, by_kind=by_kind, by_urgency=by_urgency,
                          by_kind_urgency=by_kind_urgency, calendars=calendars)


def load_response_policy(folder: Path) -> ResponsePolicy:
    path = folder / FILE
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise ReferenceDataError(f"reference data file missing: {path}") from exc
    except yaml.YAMLError as exc:
        raise ReferenceDataError(f"{path}: not valid YAML: {exc}") from exc
    return parse_response_policy(raw)
