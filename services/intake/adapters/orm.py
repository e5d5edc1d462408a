"""Intake's own tables (schema ``intake``)."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, DateTime, MetaData, String, Table, Text

from shared.db.tables import access_tables, idempotency_table, messaging_tables

metadata = MetaData()
messaging = messaging_tables(metadata)
access = access_tables(metadata)
idempotency = idempotency_table(metadata)

consultations = Table(
    "consultations",
    metadata,
    Column("id", String(26), primary_key=True),
    Column("reference", String(32), nullable=False, unique=True),
    Column("reporter_id", String(64), nullable=False, index=True),
    Column("reporter_role", String(40), nullable=False),
    Column("channel", String(40), nullable=False),
    Column("school_district", String(40), nullable=False),
    Column("categories", JSON, nullable=False),
    Column("urgency", String(8), nullable=False),
    Column("consent", String(8), nullable=False),
    Column("legal_ground", Text, nullable=True),
    Column("person", JSON, nullable=False),
    Column("household", JSON, nullable=False),
    Column("noticed", Text, nullable=False),
    Column("sample", Boolean, nullable=False, default=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("case_id", String(26), nullable=True, index=True),
)

# The stage a reporter sees, per case, as told by case.stage_changed events.
case_stages = Table(
    "case_stages",
    metadata,
    Column("case_id", String(26), primary_key=True),
    Column("stage", String(8), nullable=False),
    Column("event_id", String(26), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
