"""The activity and 見守り figures of a period (活動件数; check-ins done, missed and
alerts raised), assembled from the database's counts per month. No I/O.

Activities count by the month they happened (Japan time), in the area and school
district they were logged for; check-ins by the month they were made, an alert being
a check-in that reported 気になる変化 or 緊急; a missed check-in by the month it was due
(one per check-in notify had to chase). Every breakdown lists the same keys in both
periods — the reference data's, zeros included, then any other key seen."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from services.case.domain.period_figures import Keys
from services.case.domain.watch import ALERTING
from shared.events.watch import ACTIVITY_KINDS
from shared.reference import UNKNOWN_DISTRICT


@dataclass(frozen=True)
class ActivityCounts:
    """The database's counts; each row starts with the month's index in the span."""

    activities: Sequence[tuple[int, str, str | None, str, bool, int]] = ()  # month, area, district, kind, on a case, n
    checkins: Sequence[tuple[int, str, str, str, int]] = ()  # month, area, school district, outcome, n
    missed: Sequence[tuple[int, str, str, int]] = ()  # month, area, school district, n


def period_part(counts: ActivityCounts, months: Iterable[int], keys: Keys, seen: ActivityCounts) -> dict[str, Any]:
    """The ``activities`` and ``checkins`` blocks of the months ``months`` (indexes);
    ``seen``: every count of the answer, so both periods list the same keys."""
    wanted = set(months)
    kinds, areas, districts = Counter[str](), Counter[str](), Counter[str]()
    on_cases = 0
    for month, area, district, kind, on_case, n in counts.activities:
        if month in wanted:
            kinds[kind] += n
            areas[area] += n
            districts[district or UNKNOWN_DISTRICT] += n
            on_cases += n if on_case else 0
    done, alerts, missed = Counter[str](), Counter[str](), Counter[str]()
    done_in, alerts_in, missed_in = Counter[str](), Counter[str](), Counter[str]()
    for month, area, district, outcome, n in counts.checkins:
        if month in wanted:
            done[area] += n
            done_in[district] += n
            alerts[area] += n if outcome in ALERTING else 0
            alerts_in[district] += n if outcome in ALERTING else 0
    for month, area, district, n in counts.missed:
        if month in wanted:
            missed[area] += n
            missed_in[district] += n
    order = _orders(keys, seen)
    total = sum(kinds.values())
    return {
        "activities": {
            "total": total,
            "on_cases": on_cases,
            "without_case": total - on_cases,
            "by_kind": {k: kinds[k] for k in order["kind"]},
            "by_area": {a: areas[a] for a in order["area"]},
            "by_school_district": {d: districts[d] for d in order["district"]},
        },
        "checkins": {
            "done": sum(done.values()),
            "missed": sum(missed.values()),
            "alerts": sum(alerts.values()),
            "done_by_area": {a: done[a] for a in order["area"]},
            "missed_by_area": {a: missed[a] for a in order["area"]},
            "alerts_by_area": {a: alerts[a] for a in order["area"]},
            "done_by_school_district": {d: done_in[d] for d in order["district"]},
            "missed_by_school_district": {d: missed_in[d] for d in order["district"]},
            "alerts_by_school_district": {d: alerts_in[d] for d in order["district"]},
        },
    }


def month_part(counts: ActivityCounts, month: int, happened: bool) -> dict[str, Any]:
    """A chart month's activities by kind and its check-ins; a month that has not
    happened yet has null counts, not zeros."""
    if not happened:
        return {
            "activities": {"total": None, "by_kind": {k: None for k in ACTIVITY_KINDS}},
            "checkins": {"done": None, "missed": None, "alerts": None},
        }
    kinds = Counter[str]()
    for m, _, _, kind, _, n in counts.activities:
        if m == month:
            kinds[kind] += n
    done = sum(n for m, *_, n in counts.checkins if m == month)
    alerts = sum(n for m, _, _, outcome, n in counts.checkins if m == month and outcome in ALERTING)
    missed = sum(n for m, *_, n in counts.missed if m == month)
    return {
        "activities": {"total": sum(kinds.values()), "by_kind": {k: kinds[k] for k in _order(ACTIVITY_KINDS, kinds)}},
        "checkins": {"done": done, "missed": missed, "alerts": alerts},
    }


def _orders(keys: Keys, seen: ActivityCounts) -> dict[str, list[str]]:
    kinds = Counter(kind for *_, kind, _, _ in seen.activities)
    rows: list[tuple[Any, ...]] = [*seen.activities, *seen.checkins, *seen.missed]
    areas = Counter(str(row[1]) for row in rows)
    districts = Counter(str(row[2] or UNKNOWN_DISTRICT) for row in rows)
    return {
        "kind": _order(ACTIVITY_KINDS, kinds),
        "area": _order(keys.areas, areas),
        "district": _order(keys.school_districts, districts),
    }


def _order(known: Iterable[str], seen: Counter[str]) -> list[str]:
    """The known keys in their order, then any other key seen, sorted."""
    first = list(dict.fromkeys(known))
    return first + sorted(set(seen) - set(first))
