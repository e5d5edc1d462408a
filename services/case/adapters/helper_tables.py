"""Community helpers' tasks (domain/helper_tasks.py) and their check-ins. ``instructions``,
``reason`` and ``note`` are people's words: personal, erased by retention."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, Index, String, Table, Text

from services.case.adapters.schema import at as _at
from services.case.adapters.schema import metadata

helper_tasks = Table(
    "helper_tasks",
    metadata,
    Column("id", String(26), primary_key=True),
    Column("case_id", String(26), nullable=False, index=True),
    Column("helper_id", String(64), nullable=False),
    Column("area", String(40), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("status", String(12), nullable=False),
    Column("instructions", Text, nullable=False),
    Column("shared_fields", JSON, nullable=False),
    Column("due_on", Date, nullable=True),
    Column("reason", Text, nullable=True),  # why it was declined or withdrawn
    Column("note", Text, nullable=True),  # the helper's word on finishing it
    Column("assigned_by", String(64), nullable=False),
    _at("assigned_at", False),
    _at("accepted_at"),
    _at("ended_at"),
    _at("last_checkin_at"),
    _at("updated_at", False),
    Index("ix_helper_tasks_helper", "helper_id", "status"),
)

helper_task_checkins = Table(
    "helper_task_checkins",
    metadata,
    Column("id", String(26), primary_key=True),
    Column("task_id", String(26), nullable=False, index=True),
    Column("case_id", String(26), nullable=False, index=True),
    Column("kind", String(8), nullable=False),
    Column("outcome", String(12), nullable=False),
    Column("note", Text, nullable=True),
    _at("checked_at", False),
    Column("recorded_by", String(64), nullable=False),
    _at("recorded_at", False),
)
