"""Charts drawn on the server as SVG: no script, no CDN, nothing the CSP must allow.

Each chart is an ``<svg role="img">`` with a title and a one-line description for screen
readers; the page puts the same numbers in a table beside it. The chosen period is solid
blue, the period before it grey and hatched, so the two differ without colour too."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import count
from typing import Literal

from markupsafe import Markup, escape

CURRENT = "#0017c1"  # DADS blue-900: 4.5:1 and more on white
PREVIOUS = "#767676"  # DADS solid-gray-536
P90 = "#c05d00"  # a third, warm line (the 90th percentile), with its own dash
TEXT = "#1a1a1a"
GRID = "#cccccc"
_ids = count(1)


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    style: Literal["current", "previous", "p90"] = "current"


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}{unit}" if float(value).is_integer() else f"{value:,.1f}{unit}"


def _text_width(text: str, size: int) -> float:
    """About how wide a label draws: a full-width (CJK) character is a square, others half."""
    return sum(size if ord(ch) > 0x2E7F else size * 0.6 for ch in text)


def _scale(peak: float) -> tuple[float, list[float]]:
    """A round top for the axis and its ticks (1, 2 or 5 times a power of ten apart)."""
    if peak <= 0:
        return 1.0, [0.0, 1.0]
    raw = peak / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    top = step * math.ceil(peak / step)
    return top, [step * k for k in range(int(round(top / step)) + 1)]


def _fill(style: str, pattern_id: str) -> str:
    return {"current": CURRENT, "previous": f"url(#{pattern_id})", "p90": P90}[style]


def _legend(series: Sequence[Series], pattern_id: str, y: int) -> str:
    parts, x = [], 8
    for s in series:
        parts.append(
            f'<rect x="{x}" y="{y - 11}" width="14" height="14" fill="{_fill(s.style, pattern_id)}" '
            f'stroke="{TEXT}" stroke-width="0.5"/>'
            f'<text x="{x + 20}" y="{y}" font-size="13" fill="{TEXT}">{escape(s.name)}</text>'
        )
        x += 34 + int(_text_width(s.name, 13))
    return "".join(parts)


def _frame(title: str, description: str, width: int, height: int, body: str, pattern_id: str) -> Markup:
    title_id, desc_id = f"chart-{pattern_id}-t", f"chart-{pattern_id}-d"
    hatch = (
        f'<defs><pattern id="{pattern_id}" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
        f'<rect width="3" height="6" fill="{PREVIOUS}"/></pattern></defs>'
    )
    return Markup(
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" aria-labelledby="{title_id} {desc_id}" '
        f'xmlns="http://www.w3.org/2000/svg"><title id="{title_id}">{escape(title)}</title>'
        f'<desc id="{desc_id}">{escape(description)}</desc>{hatch}{body}</svg>'
    )


def bar_chart(
    title: str, labels: Sequence[str], series: Sequence[Series], *, unit: str = "件", width: int = 640
) -> Markup:
    """Horizontal bars, one group per label (a period and the one before it, side by side)."""
    pattern_id = f"p{next(_ids)}"
    label_w = int(max([_text_width(label, 13) for label in labels] + [40])) + 16
    bar_h, gap = 16, 10
    group_h = bar_h * len(series) + gap
    top = 28
    height = top + group_h * max(len(labels), 1) + 8
    peak = max([v for s in series for v in s.values if v is not None] + [1])
    plot_w = width - label_w - 70
    parts = [_legend(series, pattern_id, 16)]
    for i, label in enumerate(labels):
        y0 = top + i * group_h
        parts.append(
            f'<text x="{label_w - 8}" y="{y0 + group_h / 2 - 2}" font-size="13" text-anchor="end" '
            f'fill="{TEXT}">{escape(label)}</text>'
        )
        for j, s in enumerate(series):
            value = s.values[i] if i < len(s.values) else None
            w = 0 if not value else max(2.0, plot_w * float(value) / peak)
            y = y0 + j * bar_h
            parts.append(
                f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h - 3}" '
                f'fill="{_fill(s.style, pattern_id)}" stroke="{TEXT}" stroke-width="0.3"/>'
            )
            if value:  # a zero is in the table; a row of 「0件」 only hides the bars that matter
                parts.append(
                    f'<text x="{label_w + w + 4:.1f}" y="{y + bar_h - 5}" font-size="12" '
                    f'fill="{TEXT}">{escape(_fmt(value, unit))}</text>'
                )
    if not labels:
        parts.append(f'<text x="8" y="{top + 14}" font-size="13" fill="{TEXT}">この期間のデータはありません。</text>')
    else:
        parts.append(f'<line x1="{label_w}" y1="{top - 4}" x2="{label_w}" y2="{height - 6}" stroke="{GRID}"/>')
    described = "、".join(
        f"{label}: " + " / ".join(_fmt(s.values[i] if i < len(s.values) else None, unit) for s in series)
        for i, label in enumerate(labels)
    )
    return _frame(title, described, width, height, "".join(parts), pattern_id)


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    unit: str = "時間",
    width: int = 640,
    height: int = 240,
) -> Markup:
    """A line per series over the months (a gap where a month has no value)."""
    pattern_id = f"p{next(_ids)}"
    left, right, top, bottom = 56, 28, 40, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    peak, ticks = _scale(max([v for s in series for v in s.values if v is not None] + [0]))
    step = plot_w / max(len(labels) - 1, 1)

    def point(i: int, value: float) -> tuple[float, float]:
        return left + i * step, top + plot_h * (1 - float(value) / peak)

    parts = [_legend(series, pattern_id, 16)]
    for value in ticks:  # horizontal grid with its scale
        y = top + plot_h * (1 - value / peak)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="{TEXT}">{escape(_fmt(value, ""))}</text>'
        )
    for i, label in enumerate(labels):
        if len(labels) <= 12 or i % 2 == 0:
            parts.append(
                f'<text x="{left + i * step:.1f}" y="{height - 18}" font-size="11" text-anchor="middle" '
                f'fill="{TEXT}">{escape(label)}</text>'
            )
    for s in series:
        color = CURRENT if s.style == "current" else (P90 if s.style == "p90" else PREVIOUS)
        dash = ' stroke-dasharray="6 4"' if s.style != "current" else ""
        runs: list[list[tuple[float, float]]] = [[]]
        for i, v in enumerate(s.values):
            if v is None:
                runs.append([])
            else:
                runs[-1].append(point(i, v))
        for run in runs:
            if len(run) > 1:
                path = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2.5"{dash}/>')
            for x, y in run:
                marker = (
                    f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{color}"/>'
                    if s.style == "current"
                    else f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" fill="{color}"/>'
                )
                parts.append(marker)
    described = "、".join(
        f"{label}: " + " / ".join(_fmt(s.values[i], unit) for s in series) for i, label in enumerate(labels)
    )
    return _frame(title, described, width, height, "".join(parts), pattern_id)
