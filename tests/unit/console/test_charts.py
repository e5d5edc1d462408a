"""The server-drawn charts: readable without colour, escaped, with their numbers told to
screen readers."""

from __future__ import annotations

from services.console.entrypoints.charts import Series, _scale, bar_chart, line_chart


def test_bars_say_their_numbers_and_tell_the_periods_apart_without_colour() -> None:
    periods = [Series("12月", [2, 0]), Series("11月", [1, None], "previous")]
    svg = bar_chart("圏域別の相談", ["中部", "<script>"], periods)
    assert svg.startswith('<svg class="chart" role="img"') and "<title" in svg and "<desc" in svg
    assert "中部: 2件 / 1件" in svg and "&lt;script&gt;" in svg and "<script>" not in svg
    assert 'fill="url(#p' in svg  # the previous period is hatched, not only grey


def test_the_label_column_is_as_wide_as_the_longest_label() -> None:
    short = bar_chart("t", ["中部"], [Series("12月", [1])])
    long = bar_chart("t", ["外国にルーツのある住民の困りごと"], [Series("12月", [1])])
    assert 'x="56"' in short and 'x="224"' in long  # the bars start after 2 and 16 characters


def test_lines_leave_a_gap_where_a_month_has_no_value_and_axes_are_round() -> None:
    svg = line_chart(
        "最初の接触まで",
        ["1月", "2月", "3月", "4月"],
        [Series("中央値", [1.5, None, 3.0, 4.2]), Series("90パーセンタイル", [5, 6, 7, 8], "p90")],
    )
    assert svg.count("<polyline") == 2  # the median: one run after the gap needs two points
    assert _scale(5) == (6, [0, 2, 4, 6]) and _scale(0) == (1.0, [0.0, 1.0])
    assert _scale(37)[0] == 40 and _scale(0.4)[0] == 0.4
