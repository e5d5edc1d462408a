"""The figures of a run of months, each from where it is cheapest and still exact: a
closed month kept in the projection (services/case/adapters/figure_projection.py) is
read from there, every other month is counted live — the months not kept are grouped
into runs of consecutive months, one set of queries a run (usually the current month,
and the empty months before the first case)."""

from __future__ import annotations

from collections.abc import Sequence

from services.case.adapters.figure_projection import FigureProjection, Projected
from services.case.adapters.figures import MEASURES, FigureQueries
from services.case.domain.period_figures import NO_DURATIONS, Counted, Durations
from shared.periods import Month, Period, month_boundaries


def live_runs(months: Sequence[Month], kept: Projected) -> list[tuple[int, tuple[Month, ...]]]:
    """The runs of consecutive months not kept, each with its first month's position."""
    runs: list[tuple[int, tuple[Month, ...]]] = []
    for i, month in enumerate(months):
        if month in kept.months:
            continue
        if runs and runs[-1][0] + len(runs[-1][1]) == i:
            runs[-1] = (runs[-1][0], (*runs[-1][1], month))
        else:
            runs.append((i, (month,)))
    return runs


async def counted_months(queries: FigureQueries, span: Sequence[Month], kept: Projected) -> Counted:
    """The counts of every month of ``span``, each row starting with its month's position."""
    index = {m: i for i, m in enumerate(span)}
    consultations = [(index[m], *rest) for m, *rest in kept.consultations if m in index]
    categories = [(index[m], c, n) for m, c, n in kept.categories if m in index]
    opened = [(index[m], a, n) for m, a, n in kept.cases if m in index]
    for at, run in live_runs(span, kept):
        cuts = month_boundaries(run)
        consultations += [(i + at, *rest) for i, *rest in await queries.consultations(cuts)]
        categories += [(i + at, c, n) for i, c, n in await queries.categories(cuts)]
        opened += [(i + at, a, n) for i, a, n in await queries.cases_opened(cuts)]
    return Counted(consultations=consultations, categories=categories, cases=opened)  # type: ignore[arg-type]


async def month_durations(
    queries: FigureQueries, months: Sequence[Month], kept: Projected
) -> dict[str, dict[int, Durations]]:
    """Each measure's durations of each month, by position. The projection keeps them
    city-wide only (a median of two areas is not made of theirs): an area's are always
    ranked live."""
    if queries.areas is not None:
        kept = Projected()
    found = {
        measure: {i: kept.durations.get((m, measure), NO_DURATIONS) for i, m in enumerate(months) if m in kept.months}
        for measure in MEASURES
    }
    for at, run in live_runs(months, kept):
        for measure, live in (await queries.every_duration(month_boundaries(run))).items():
            found[measure].update({i + at: d for i, d in live.items()})
    return found


async def period_durations(
    queries: FigureQueries,
    periods: tuple[Period, Period],
    kept: Projected,
    projection: FigureProjection | None = None,
) -> dict[str, dict[int, Durations]]:
    """Each measure's durations of the previous period (0) and the period (1): of single
    months as ``month_durations``; of quarters and years ranked over the whole period —
    the previous one, closed, as ``projection`` remembers it."""
    if all(p.kind == "month" for p in periods):
        return await month_durations(queries, [p.first for p in periods], kept)
    previous, current = periods
    if projection is None:
        return await queries.every_duration([previous.first.starts_at, current.first.starts_at, current.bounds[1]])
    found = await queries.every_duration([current.first.starts_at, current.bounds[1]])
    before = await projection.closed_durations(queries, previous)
    return {
        m: {**({0: before[m]} if m in before else {}), **({1: found[m][0]} if 0 in found[m] else {})} for m in MEASURES
    }
