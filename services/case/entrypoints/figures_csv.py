"""The period figures as one CSV table a spreadsheet can filter: one row per number, with
which period (or chart month) it belongs to."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

HEADER = ("part", "label", "start", "end", "section", "measure", "key", "value")
_MONTH_KEYS = ("month", "label", "start", "end")


def period_figures_csv(data: dict[str, Any]) -> str:
    """``part``: current / previous (the periods), series (a chart month), now (ageing of
    the open cases) or empty (about the answer itself)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    scope = data["scope"] if isinstance(data["scope"], str) else " ".join(data["scope"])
    writer.writerow(("", "", "", "", "generated_at_jst", "", "", data["generated_at_jst"]))
    writer.writerow(("", "", "", "", "scope", "", "", scope))
    for part, period, figures in (
        ("current", data["period"], data["current"]),
        ("previous", data["previous"], data["previous_figures"]),
    ):
        where = (part, period["label"], period["start"], period["end"])
        writer.writerows(where + row for row in _flat(figures))
    for month in data["series"]:
        where = ("series", month["label"], month["start"], month["end"])
        writer.writerows(where + row for row in _flat({k: v for k, v in month.items() if k not in _MONTH_KEYS}))
    now = {"ageing_of_open_cases": data["ageing_of_open_cases"], "registered_helpers": data["registered_helpers"]}
    writer.writerows(("now", "", "", "") + row for row in _flat(now))
    writer.writerows(
        ("", "", "", "", "school_district_names", "", key, name) for key, name in data["school_district_names"].items()
    )
    return buffer.getvalue()


def _flat(figures: dict[str, Any]) -> Iterator[tuple[str, str, str, Any]]:
    """(section, measure, key, value) for every number, however deep it sits."""
    for section, content in figures.items():
        if not isinstance(content, dict):
            yield section, "", "", _cell(content)
            continue
        for measure, value in content.items():
            if isinstance(value, dict):
                yield from ((section, measure, key, _cell(item)) for key, item in value.items())
            else:
                yield section, measure, "", _cell(value)


def _cell(value: Any) -> Any:
    return "" if value is None else value
