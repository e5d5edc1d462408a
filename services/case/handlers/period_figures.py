"""The PDCA figures of a period beside the previous one, with a month-by-month series for
the charts (supervisors: the city; a coordinator: their own area)."""

from __future__ import annotations

from typing import Any

from services.case.adapters.activity_figures import ActivityFigureQueries
from services.case.adapters.chain import CaseUnitOfWork
from services.case.adapters.figure_projection import read_projected
from services.case.adapters.figures import MEASURES, FigureQueries
from services.case.adapters.helper_tasks import HelperRegistry
from services.case.domain import activity_figures
from services.case.domain import figures as pdca
from services.case.domain.helper_tasks import registered_by_area
from services.case.domain.period_figures import (
    Durations,
    Keys,
    compare_periods,
    series,
)
from services.case.domain.queue import visible_areas
from services.case.domain.status import OPEN_STATUSES
from services.case.handlers.common import read_snapshot, require_reader
from services.case.handlers.figure_months import counted_months, month_durations, period_durations
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
        by_month = await month_durations(queries, chart, kept)
        projection = uow.figures if isinstance(uow, CaseUnitOfWork) else None
        by_period = await period_durations(queries, (previous, period), kept, projection)
        durations = {(m, "month"): by_month[m] for m in MEASURES} | {(m, "period"): by_period[m] for m in MEASURES}
        ages = await queries.open_case_ages(cutoffs, oldest, OPEN_STATUSES)
        # Activities and check-ins: a few GROUP BY rows over the whole span, counted live.
        activity = await ActivityFigureQueries(uow.db, areas).counts(month_boundaries(span))
        helpers = await HelperRegistry(uow.db).helpers()

    def of_periods(measure: str) -> dict[str, Durations]:
        found = durations[(measure, "period")]
        return {name: found[i] for i, name in enumerate(("previous", "current")) if i in found}

    keys = _keys(reference, areas)
    current, before = compare_periods(
        span,
        period.months,
        previous.months,
        counted,
        keys,
        of_periods("first_contact_at"),
        of_periods("first_handoff_at"),
        assignment=of_periods("assigned_at"),
        triage=of_periods("triaged_at"),
    )
    index = {month: i for i, month in enumerate(span)}
    current.update(activity_figures.period_part(activity, [index[m] for m in period.months], keys, activity))
    before.update(activity_figures.period_part(activity, [index[m] for m in previous.months], keys, activity))
    monthly = series(
        span,
        chart,
        counted,
        durations[("first_contact_at", "month")],
        durations[("first_handoff_at", "month")],
        until=Month.of(now),
        assignment=durations[("assigned_at", "month")],
        triage=durations[("triaged_at", "month")],
    )
    for entry, month in zip(monthly, chart, strict=True):
        entry.update(activity_figures.month_part(activity, index[month], month <= Month.of(now)))
    return {
        "generated_at_jst": jst_text(now),
        "scope": "市全域" if areas is None else sorted(areas),
        "period": period.as_dict(),
        "previous": previous.as_dict(),
        "current": current,
        "previous_figures": before,
        "series": monthly,
        "ageing_of_open_cases": {label: ages.get(label, 0) for label, _, _ in pdca.AGEING_BUCKETS},
        # Registered now, whatever the period (the plan reports the count at the time).
        "registered_helpers": registered_by_area(
            helpers, [a.id for a in reference.areas if areas is None or a.id in areas]
        ),
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
