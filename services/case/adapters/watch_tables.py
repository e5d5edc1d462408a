"""The watch plans' tables (schema ``case``)."""

from __future__ import annotations

from sqlalchemy import Column, Date, Index, Integer, String, Table, Text

from services.case.adapters.schema import at as _at
from services.case.adapters.schema import metadata

# Watch plans (見守り) and their check-ins (domain/watch.py). ``look_for`` and ``note``
# are the coordinator's words: personal, erased by retention.
watch_plans = Table(
    "watch_plans",
    metadata,
    Column("id", String(26), primary_key=True),
    Column("case_id", String(26), nullable=False, index=True),
    Column("status", String(8), nullable=False),  # active → ended
    Column("watcher_kind", String(12), nullable=False),
    Column("watcher_id", String(64), nullable=False),
    Column("every", Integer, nullable=False),
    Column("unit", String(16), nullable=False),
    Column("look_for", Text, nullable=False),
    Column("until", Date, nullable=False),
    _at("started_at", False),
    _at("last_checkin_at"),
    _at("next_due_at"),
    _at("ended_at"),
    Column("created_by", String(64), nullable=False),
    _at("updated_at", False),
)

watch_checkins = Table(
    "watch_checkins",
    metadata,
    Column("id", String(26), primary_key=True),
    Column("plan_id", String(26), nullable=False, index=True),
    Column("case_id", String(26), nullable=False, index=True),
    Column("kind", String(8), nullable=False),
    Column("outcome", String(12), nullable=False),
    Column("note", Text, nullable=True),
    _at("checked_at", False),
    Column("recorded_by", String(64), nullable=False),
    _at("recorded_at", False),
    Index("ix_watch_checkins_checked_at", "checked_at"),  # the figures count a period's by when
)
