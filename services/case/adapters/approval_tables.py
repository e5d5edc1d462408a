"""Supervisor approvals', unmet needs' and community issues' tables (schema ``case``)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Index, Integer, String, Table, Text

from services.case.adapters.schema import at as _at
from services.case.adapters.schema import metadata

# Supervisor approvals (監督者の承認): a move waiting for a supervisor, or a 緊急 share
# made at once and put before them afterwards (domain/approvals.py).
approvals = Table(
    "approvals",
    metadata,
    Column("id", String(26), primary_key=True),
    Column("case_id", String(26), nullable=False, index=True),
    Column("area", String(40), nullable=False),
    Column("kind", String(8), nullable=False),  # approval / review
    Column("move", String(32), nullable=False),
    Column("status", String(12), nullable=False),
    Column("params", JSON, nullable=False),  # what the move needs (agency, fields, target case)
    Column("reason", Text, nullable=False),
    Column("requested_by", String(64), nullable=False),
    _at("requested_at", False),
    _at("decide_by", False),
    Column("decided_by", String(64), nullable=True),
    _at("decided_at"),
    Column("decision_reason", Text, nullable=True),
    _at("carried_out_at"),
    Column("outcome", Text, nullable=True),  # what carrying it out made (an id) or why it could not
    _at("updated_at", False),
    Index("ix_approvals_status_requested", "status", "requested_at"),  # the supervisor's queue
)

# Needs no service meets (サービスがないニーズ), and the community issues (地域課題)
# they are gathered into (domain/community.py).
unmet_needs = Table(
    "unmet_needs",
    metadata,
    Column("id", String(26), primary_key=True),
    Column("case_id", String(26), nullable=False, index=True),
    Column("area", String(40), nullable=False),
    Column("category", String(40), nullable=False),
    Column("school_district", String(40), nullable=False),
    Column("missing", Text, nullable=False),
    Column("issue_id", String(26), nullable=True, index=True),
    Column("recorded_by", String(64), nullable=False),
    _at("recorded_at", False),
)

community_issues = Table(
    "community_issues",
    metadata,
    Column("id", String(26), primary_key=True),
    Column("area", String(40), nullable=False, index=True),
    Column("title", Text, nullable=False),
    Column("status", String(12), nullable=False),
    Column("raised_by", String(64), nullable=False),
    _at("raised_at", False),
    _at("updated_at", False),
    Column("version", Integer, nullable=False),
)
