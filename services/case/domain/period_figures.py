"""The PDCA figures of a period, its previous period and its months, assembled from what
the database counted per month (GROUP BY), never from one row per consultation. No I/O.

Consultations count by the month they were received, cases by the month they were
opened (Japan time). Times to first contact and to first handoff are those of the cases
opened in the period (or month): how many were reached, the median and the 90th
percentile in hours. Every breakdown of a period and of its previous period lists the
same keys — the reference data's, zeros included, then any other key seen — so the
two can be drawn side by side."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from services.case.domain.figures import QUANTILES, quantile
from shared.periods import Month


@dataclass(frozen=True)
class Keys:
    """The keys each breakdown lists first, in this order (from the reference data)."""

    areas: tuple[str, ...] = ()
    school_districts: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Counted:
    """The database's counts per month: each row starts with the month's index in the span."""

    consultations: Sequence[tuple[int, str, str, str, int]] = ()  # month, area, school district, channel, n
    categories: Sequence[tuple[int, str, int]] = ()  # month, category, n (a consultation may have several)
    cases: Sequence[tuple[int, str, int]] = ()  # month, area, n opened


@dataclass(frozen=True)
class Durations:
    count: int = 0
    median_hours: float | None = None
    p90_hours: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"count": self.count, "median_hours": self.median_hours, "p90_hours": self.p90_hours}

    @classmethod
    def of(cls, count: int, median: float | None, p90: float | None) -> Durations:
        """Hours to one decimal, as shown."""
        return cls(count=count, median_hours=_round(median), p90_hours=_round(p90))


NO_DURATIONS = Durations()


def durations_by_group(rows: Iterable[tuple[int, int, int, float]]) -> dict[int, Durations]:
    """Rows (group, 0-based rank, group size, hours) around each quantile's rank → each
    group's count, median and 90th percentile (hours, one decimal)."""
    ranked: dict[int, dict[int, float]] = {}
    sizes: dict[int, int] = {}
    for group, rank, size, hours in rows:
        ranked.setdefault(group, {})[rank] = float(hours)
        sizes[group] = size
    summaries = {}
    for group, size in sizes.items():
        median, p90 = (quantile(ranked[group], size, q) for q in QUANTILES)
        summaries[group] = Durations.of(size, median, p90)
    return summaries


def compare_periods(
    span: Sequence[Month],
    current: Sequence[Month],
    previous: Sequence[Month],
    counted: Counted,
    keys: Keys,
    contact: Mapping[str, Durations],
    handoff: Mapping[str, Durations],
    assignment: Mapping[str, Durations] | None = None,
    triage: Mapping[str, Durations] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The figures of the current and the previous period (``contact`` and ``handoff`` are
    keyed ``"current"`` and ``"previous"``), with the same keys in every breakdown."""
    index = {month: i for i, month in enumerate(span)}
    tallies = {
        which: _tallies({index[m] for m in months}, counted)
        for which, months in (("current", current), ("previous", previous))
    }
    order = {
        dimension: _order(getattr(keys, known), *(t[dimension] for t in tallies.values()))
        for dimension, known in (
            ("area", "areas"),
            ("school_district", "school_districts"),
            ("category", "categories"),
            ("channel", "channels"),
            ("case_area", "areas"),
        )
    }
    return tuple(
        _figures(
            tallies[which],
            order,
            {
                key: (times or {}).get(which, NO_DURATIONS)
                for key, times in zip(_KEYS, (assignment, triage, contact, handoff), strict=True)
            },
        )
        for which in ("current", "previous")
    )  # type: ignore[return-value]


def series(
    span: Sequence[Month],
    chart: Sequence[Month],
    counted: Counted,
    contact: Mapping[int, Durations],
    handoff: Mapping[int, Durations],
    until: Month | None = None,
    assignment: Mapping[int, Durations] | None = None,
    triage: Mapping[int, Durations] | None = None,
) -> list[dict[str, Any]]:
    """One entry per chart month (``contact`` and ``handoff`` keyed by the month's index in
    ``chart``): consultations, cases opened, and the times to first contact and handoff.
    A month after ``until`` has not happened yet: its counts are null, not zero."""
    consultations: Counter[int] = Counter()
    opened: Counter[int] = Counter()
    for month, *_, n in counted.consultations:
        consultations[month] += n
    for month, _, n in counted.cases:
        opened[month] += n
    index = {month: i for i, month in enumerate(span)}

    def counts(month: Month) -> dict[str, int | None]:
        if until and month > until:
            return {"consultations": None, "cases_opened": None}
        return {"consultations": consultations[index[month]], "cases_opened": opened[index[month]]}

    return [
        {
            **month.as_dict(),
            **counts(month),
            **{
                key: (times or {}).get(i, NO_DURATIONS).as_dict()
                for key, times in zip(_KEYS, (assignment, triage, contact, handoff), strict=True)
            },
        }
        for i, month in enumerate(chart)
    ]


def _tallies(months: set[int], counted: Counted) -> dict[str, Counter[str]]:
    tallies: dict[str, Counter[str]] = {
        name: Counter() for name in ("area", "school_district", "channel", "category", "case_area")
    }
    for month, area, district, channel, n in counted.consultations:
        if month in months:
            tallies["area"][area] += n
            tallies["school_district"][district] += n
            tallies["channel"][channel] += n
    for month, category, n in counted.categories:
        if month in months:
            tallies["category"][category] += n
    for month, area, n in counted.cases:
        if month in months:
            tallies["case_area"][area] += n
    return tallies


def _order(known: Iterable[str], *seen: Counter[str]) -> list[str]:
    """The known keys in their order, then any other key seen, sorted."""
    first = list(dict.fromkeys(known))
    return first + sorted({key for counts in seen for key in counts} - set(first))


# The times of a case, each from intake's receipt: (its key in the figures, what counts
# the cases opened that have not got there yet).
DURATION_FIGURES: tuple[tuple[str, str], ...] = (
    ("time_to_assignment", "without_assignment"),
    ("time_to_triage", "without_triage"),
    ("time_to_first_contact", "without_contact"),
    ("time_to_first_handoff", "without_handoff"),
)
_KEYS = tuple(key for key, _ in DURATION_FIGURES)


def _figures(
    tally: dict[str, Counter[str]], order: dict[str, list[str]], times: Mapping[str, Durations]
) -> dict[str, Any]:
    def breakdown(dimension: str) -> dict[str, int]:
        return {key: tally[dimension][key] for key in order[dimension]}

    opened = sum(tally["case_area"].values())
    return {
        "consultations": {
            "total": sum(tally["area"].values()),
            "by_area": breakdown("area"),
            "by_school_district": breakdown("school_district"),
            "by_category": breakdown("category"),
            "by_channel": breakdown("channel"),
        },
        "cases": {"opened": opened, "by_area": breakdown("case_area")},
        **{key: {**times[key].as_dict(), without: opened - times[key].count} for key, without in DURATION_FIGURES},
    }


def _round(hours: float | None) -> float | None:
    return None if hours is None else round(hours, 1)
