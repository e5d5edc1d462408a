"""Activities' tables (schema ``case``), and the check-ins that came due and were missed."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Index, Integer, String, Table, Text

from services.case.adapters.schema import at as _at
from services.case.adapters.schema import metadata

# Activities (活動, domain/activities.py): on a case or, with ``case_id`` NULL, for an
# area. ``note`` is the coordinator's words: personal, erased by retention with the case.
activities = Table(
    "activities",
    metadata,
    Column("id", String(26), primary_key=True),
    Column("case_id", String(26), nullable=True, index=True),
    Column("area", String(40), nullable=False),
    Column("school_district", String(40), nullable=True),
    Column("kind", String(12), nullable=False),
    Column("outcome_kind", String(16), nullable=False),
    Column("note", Text, nullable=True),
    Column("account_ids", JSON, nullable=False),
    Column("agency_ids", JSON, nullable=False),
    Column("residents", Integer, nullable=False),
    _at("happened_at", False),
    Column("recorded_by", String(64), nullable=False),
    _at("recorded_at", False),
    Index("ix_activities_happened_at", "happened_at"),  # the figures count a period's by when
    Index("ix_activities_area_happened_at", "area", "happened_at"),  # an area's list, newest first
)

# A check-in that came due and was not done: one row per timer notify fired
# (``followup.fired`` with a plan), whichever rung arrives first — the figures' 未実施.
watch_missed = Table(
    "watch_missed",
    metadata,
    Column("followup_id", String(26), primary_key=True),
    Column("plan_id", String(26), nullable=False),
    Column("case_id", String(26), nullable=False, index=True),
    _at("due_at", False),
    _at("fired_at", False),
    Index("ix_watch_missed_due_at", "due_at"),
)
