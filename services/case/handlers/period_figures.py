"""The PDCA figures of a period beside the previous one, with a month-by-month series for
the charts (supervisors: the city; a coordinator: their own area)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.case.adapters.figure_projection import Projected, read_projected
from services.case.adapters.figures import MEASURES, FigureQueries
from services.case.domain import figures as pdca
from services.case.domain.period_figures import (
    NO_DURATIONS,
    Counted,
    Durations,
    Keys,
    compare_periods,
    durations_by_group,
    series,
)
from services.case.domain.queue import visible_areas
from services.case.domain.status import OPEN_STATUSES
from services.case.handlers.common import read_snapshot, require_reader
from shared.clock import jst_text
from shared.db.uow import UnitOfWork
from shared.identity import Identity
from shared.periods import Month, Period, PeriodKind, month_boundaries, months_between
from shared.reference import CITY_WIDE, UNKNOWN_DISTRICT, ReferenceData


async def period_figures(
    uow: UnitOfWork, caller: Identity, reference: ReferenceData, kind: PeriodKind, at: Month | None
) -> dict[str, Any]:
    """``at``: any month of the wanted period; None: the current month (JST)."""
    require_reader(caller)
    areas = visible_areas(caller.role, caller.scope)
    now = uow.clock.now()
    period = Period.containing(kind, at or Month.of(now))
    previous = period.previous()
    chart = period.chart_months()
    # Every month any part of the answer reads: the chart's, the period's and the previous one's.
    span = months_between(min(chart[0], previous.first), period.last)
    cutoffs, oldest = pdca.ageing_cutoffs(now)
    async with uow:
        await read_snapshot(uow)
        kept = await read_projected(uow.db, [m for m in span if m < Month.of(now)], areas)
        queries = FigureQueries(uow.db, areas)
        counted = await counted_months(queries, span, kept)
        durations = {}
        for measure in MEASURES:
            durations[(measure, "month")] = await _month_durations(queries, measure, chart, kept)
            durations[(measure, "period")] = await _period_durations(queries, measure, (previous, period), kept)
        ages = await queries.open_case_ages(cutoffs, oldest, OPEN_STATUSES)

    def of_periods(measure: str) -> dict[str, Durations]:
        found = durations[(measure, "period")]
        return {name: found[i] for i, name in enumerate(("previous", "current")) if i in found}

    current, before = compare_periods(
        span,
        period.months,
        previous.months,
        counted,
        _keys(reference, areas),
        of_periods("first_contact_at"),
        of_periods("first_handoff_at"),
    )
    return {
        "generated_at_jst": jst_text(now),
        "scope": "市全域" if areas is None else sorted(areas),
        "period": period.as_dict(),
        "previous": previous.as_dict(),
        "current": current,
        "previous_figures": before,
        "series": series(
            span,
            chart,
            counted,
            durations[("first_contact_at", "month")],
            durations[("first_handoff_at", "month")],
            until=Month.of(now),
        ),
        "ageing_of_open_cases": {label: ages.get(label, 0) for label, _, _ in pdca.AGEING_BUCKETS},
        "school_district_names": _district_names(reference),
    }


def _keys(reference: ReferenceData, areas: frozenset[str] | None) -> Keys:
    """What each breakdown lists even at zero: the caller's areas and school districts,
    every category and channel."""
    shown = [a.id for a in reference.areas if areas is None or a.id in areas] + [CITY_WIDE]
    districts = [d.id for d in reference.school_districts if areas is None or d.area in areas] + [UNKNOWN_DISTRICT]
    return Keys(
        areas=tuple(shown),
        school_districts=tuple(districts),
        categories=tuple(c.id for c in reference.categories),
        channels=tuple(c.id for c in reference.channels),
    )


def _district_names(reference: ReferenceData) -> dict[str, str]:
    """Names for the school district ids the breakdowns are keyed by (the ids stay stable
    when a name is corrected)."""
    return {**{d.id: d.name for d in reference.school_districts}, UNKNOWN_DISTRICT: "不明"}


def _live_from(months: Sequence[Month], kept: Projected) -> int:
    """Where the months stop being projected: those after are counted live (usually just
    the current month)."""
    return next((i for i, m in enumerate(months) if m not in kept.months), len(months))


async def counted_months(queries: FigureQueries, span: Sequence[Month], kept: Projected) -> Counted:
    """The counts of every month of ``span`` (indexed by position): kept ones from the
    projection, the rest counted live in one pass over their time range."""
    split = _live_from(span, kept)
    index = {m: i for i, m in enumerate(span)}
    consultations = [(index[m], *rest) for m, *rest in kept.consultations if index.get(m, split) < split]
    categories = [(index[m], c, n) for m, c, n in kept.categories if index.get(m, split) < split]
    opened = [(index[m], a, n) for m, a, n in kept.cases if index.get(m, split) < split]
    if split < len(span):
        cuts = month_boundaries(tuple(span[split:]))
        consultations += [(i + split, *rest) for i, *rest in await queries.consultations(cuts)]
        categories += [(i + split, c, n) for i, c, n in await queries.categories(cuts)]
        opened += [(i + split, a, n) for i, a, n in await queries.cases_opened(cuts)]
    return Counted(consultations=consultations, categories=categories, cases=opened)  # type: ignore[arg-type]


async def _month_durations(
    queries: FigureQueries, measure: str, chart: Sequence[Month], kept: Projected
) -> dict[int, Durations]:
    """Each chart month's durations (by position): kept ones (city-wide only) from the
    projection, the rest ranked live."""
    split = _live_from(chart, kept) if queries.areas is None else 0
    found = {i: kept.durations[(m, measure)] for i, m in enumerate(chart[:split]) if (m, measure) in kept.durations}
    if split < len(chart):
        live = durations_by_group(await queries.duration_ranks(measure, month_boundaries(tuple(chart[split:]))))
        found.update({i + split: d for i, d in live.items()})
    return found


async def _period_durations(
    queries: FigureQueries, measure: str, periods: tuple[Period, Period], kept: Projected
) -> dict[int, Durations]:
    """The durations of the previous period (0) and the period (1): a kept month's own
    (city-wide) when each period is one projected month, else ranked live — a median
    of several months is not made of theirs."""
    months = [p.first for p in periods]
    if queries.areas is None and all(p.kind == "month" and p.first in kept.months for p in periods):
        return {i: kept.durations.get((m, measure), NO_DURATIONS) for i, m in enumerate(months)}
    cuts = [periods[0].first.starts_at, periods[1].first.starts_at, periods[1].bounds[1]]
    return durations_by_group(await queries.duration_ranks(measure, cuts))
