"""Referral's own tables (schema ``referral``)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from shared.db.tables import BigId, access_tables, idempotency_table, messaging_tables

metadata = MetaData()
messaging = messaging_tables(metadata)
access = access_tables(metadata)
idempotency = idempotency_table(metadata)

# One row per referral: its current state. ``version`` guards every move
# (conditional update), so concurrent moves cannot both win.
referrals = Table(
    "referrals",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("case_id", String(64), nullable=False, index=True),
    Column("case_number", String(40), nullable=False),
    Column("area", String(40), nullable=False),
    Column("agency_id", String(64), nullable=False),
    Column("purpose", Text, nullable=False),
    Column("urgency", String(16), nullable=False),
    Column("consent", String(8), nullable=False),
    Column("legal_ground", Text, nullable=True),
    Column("shared", JSON, nullable=False),  # only what the agency may see
    Column("withheld", JSON, nullable=False),  # names of fields held back, never values
    Column("status", String(20), nullable=False),
    Column("version", Integer, nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("acknowledge_by", DateTime(timezone=True), nullable=True),
    Column("decide_by", DateTime(timezone=True), nullable=True),
    Column("acknowledged_at", DateTime(timezone=True), nullable=True),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Column("closed_at", DateTime(timezone=True), nullable=True),
    Column("reason", Text, nullable=True),
    Column("note", Text, nullable=True),
    Column("request_event_id", String(26), nullable=False),
    Column("requested_by", String(64), nullable=True),  # the coordinator's id (never a name)
    Index("ix_referrals_agency_status", "agency_id", "status"),
    Index("ix_referrals_area_status", "area", "status"),
    Index("ix_referrals_requested_at", "requested_at"),  # the figures read a period's referrals
)

# Every move, with who made it and when: the referral's own history.
referral_transitions = Table(
    "referral_transitions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("referral_id", String(64), ForeignKey("referrals.id"), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("action", String(20), nullable=False),
    Column("from_status", String(20), nullable=False),
    Column("to_status", String(20), nullable=False),
    Column("actor_role", String(20), nullable=False),
    Column("actor_id", String(64), nullable=False),
    Column("reason", Text, nullable=True),
    Column("note", Text, nullable=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("event_id", String(26), nullable=False),
    UniqueConstraint("referral_id", "version", name="uq_referral_transitions_version"),
)

# Who saw what (要配慮個人情報): every read of a referral's detail, with the names of
# the shared fields it showed.
referral_reads = Table(
    "referral_reads",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("referral_id", String(64), ForeignKey("referrals.id"), nullable=False, index=True),
    Column("reader_role", String(20), nullable=False),
    Column("reader_id", String(64), nullable=False),
    Column("fields", JSON, nullable=False),
    Column("read_at", DateTime(timezone=True), nullable=False),
)

# What this service knows of each case from case.* events: its current area (case.moved)
# and consent (case.consent_recorded), each with the id of the event that set it, so
# the later event wins whatever the arrival order.
case_facts = Table(
    "case_facts",
    metadata,
    Column("case_id", String(64), primary_key=True),
    Column("area", String(40), nullable=True),
    Column("area_event_id", String(26), nullable=True),
    Column("consent", String(8), nullable=True),
    Column("legal_ground_recorded", Boolean, nullable=True),
    Column("consent_event_id", String(26), nullable=True),
)
