"""The tables of the figures' projection of closed months (schema ``case``)."""

from __future__ import annotations

from sqlalchemy import Column, Float, Integer, String, Table

from services.case.adapters.schema import at as _at
from services.case.adapters.schema import metadata

# The figures of closed months (services/case/adapters/figure_projection.py): a month is
# projected once it has a row here; its counts and city-wide durations are then read from
# the two tables below instead of from every case of the month.
figure_months = Table(
    "figure_months",
    metadata,
    Column("month", String(7), primary_key=True),  # YYYY-MM, Japan time
    _at("refreshed_at", False),
    # Counted again this many times: what a closed quarter's or year's remembered
    # durations were ranked at (FigureProjection.closed_durations).
    Column("version", Integer, nullable=False, server_default="1"),
)

# Per month and area: consultations (key: school district, detail: channel), categories
# (key: category) and cases opened (no key) — the rows FigureQueries counts live.
figure_counts = Table(
    "figure_counts",
    metadata,
    Column("month", String(7), primary_key=True),
    Column("area", String(40), primary_key=True),
    Column("measure", String(16), primary_key=True),
    Column("key", String(40), primary_key=True),
    Column("detail", String(40), primary_key=True),
    Column("n", Integer, nullable=False),
)

# Per month, city-wide: time to first contact / first handoff of the cases opened in it.
figure_durations = Table(
    "figure_durations",
    metadata,
    Column("month", String(7), primary_key=True),
    Column("measure", String(16), primary_key=True),
    Column("count", Integer, nullable=False),
    Column("median_hours", Float, nullable=True),
    Column("p90_hours", Float, nullable=True),
)
