"""The activity form (活動を記録する), on the case page and on the area's activity page:
its choices, what it sends to the case service, and the service's field names as the
page names them (the case page's contact and check-in forms have a note and an outcome too)."""

from __future__ import annotations

import re
from typing import Any

from services.console.entrypoints.formatting import parse_datetime_local
from services.console.entrypoints.pages.labels import Labels
from shared.events.watch import ACTIVITY_KINDS, ACTIVITY_OUTCOMES
from shared.reference import CITY_WIDE

KIND_OPTIONS = [(k, k) for k in ACTIVITY_KINDS]
OUTCOME_OPTIONS = [(o, o) for o in ACTIVITY_OUTCOMES]
# The case service's field → the page's field.
FIELDS = {
    "kind": "activity_kind",
    "outcome_kind": "activity_outcome",
    "school_district": "activity_district",
    "agency_ids": "activity_agency",
    "account_ids": "activity_accounts",
    "residents": "activity_residents",
    "note": "activity_note",
}
_SEPARATORS = re.compile(r"[\s,、，]+")


class ActivityFormProblem(Exception):
    """A field the console cannot send as typed (a date it cannot read, a count that is no number)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def _text(values: dict[str, Any], name: str) -> str | None:
    text = str(values.get(name) or "").strip()
    return text or None


def activity_body(values: dict[str, Any]) -> dict[str, Any]:
    """The case service's body for what was typed."""
    errors: dict[str, str] = {}
    happened_at = None
    try:
        moment = parse_datetime_local(_text(values, "happened_at"))
        happened_at = moment.isoformat() if moment else None
    except ValueError:
        errors["happened_at"] = "日時を「2026/12/02 14:05」の形で入力してください。"
    residents = _text(values, "activity_residents") or "0"
    if not residents.isdigit():
        errors["activity_residents"] = "参加した住民の数は数字で入力してください(いなければ 0)。"
    if errors:
        raise ActivityFormProblem(errors)
    agency = _text(values, "activity_agency")
    return {
        "kind": _text(values, "activity_kind"),
        "outcome_kind": _text(values, "activity_outcome"),
        "happened_at": happened_at,
        "school_district": _text(values, "activity_district"),
        "agency_ids": [agency] if agency else [],
        "account_ids": [a for a in _SEPARATORS.split(_text(values, "activity_accounts") or "") if a],
        "residents": int(residents),
        "note": _text(values, "activity_note"),
    }


def missing(body: dict[str, Any]) -> dict[str, str] | None:
    """What the console says before sending: the two choices every activity needs."""
    errors = {}
    if not body.get("kind"):
        errors["activity_kind"] = "活動の種類を選んでください。"
    if not body.get("outcome_kind"):
        errors["activity_outcome"] = "結果を選んでください。"
    return errors or None


def page_errors(errors: dict[str, str]) -> dict[str, str]:
    """``agency_ids.0`` and ``agency_ids`` are both the page's agency field."""
    named: dict[str, str] = {}
    for name, text in errors.items():
        named.setdefault(FIELDS.get(name.split(".", 1)[0], name), text)
    return named


def choices(labels: Labels, area: str | None) -> dict[str, Any]:
    """The form's choices: the school districts of the area (all for a supervisor or the
    city-wide queue) and the agencies serving it."""
    districts = [
        (d.id, d.name) for d in labels.reference.school_districts if area in (None, CITY_WIDE) or d.area == area
    ]
    agencies = [
        (a.id, a.name) for a in labels.reference.agencies if area in (None, CITY_WIDE) or not a.areas or area in a.areas
    ]
    return {
        "activity_kinds": KIND_OPTIONS,
        "activity_outcomes": OUTCOME_OPTIONS,
        "activity_districts": districts,
        "activity_agencies": agencies,
    }
