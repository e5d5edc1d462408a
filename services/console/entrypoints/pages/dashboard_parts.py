"""What every chart of the dashboard is made of: a chart with the table of its numbers
beside it, and the shapes the figures' answers are read in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from services.console.entrypoints.charts import Series, bar_chart


@dataclass(frozen=True)
class Figure:
    """One chart and the table of its numbers beside it."""

    id: str
    title: str
    chart: Markup
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]]


def pair(
    title: str,
    fid: str,
    labels: list[str],
    current: list[Any],
    previous: list[Any],
    names: tuple[str, str],
    unit: str = "件",
) -> Figure:
    chart = bar_chart(title, labels, [Series(names[0], current), Series(names[1], previous, "previous")], unit=unit)
    rows: list[tuple[str, ...]] = [
        (label, cell(a, unit), cell(b, unit)) for label, a, b in zip(labels, current, previous, strict=True)
    ]
    return Figure(fid, title, chart, ("", names[0], names[1]), rows)


def cell(value: Any, unit: str = "") -> str:
    if value is None:
        return "—"
    return f"{value:,}{unit}" if isinstance(value, int) else f"{value:,.1f}{unit}"


def by(
    section: dict[str, Any], previous: dict[str, Any], key: str, names: dict[str, str] | None = None
) -> tuple[list[str], list[Any], list[Any]]:
    keys = list(section.get(key, {}))
    return (
        [(names or {}).get(k, k) for k in keys],
        [section[key][k] for k in keys],
        [previous.get(key, {}).get(k) for k in keys],
    )
