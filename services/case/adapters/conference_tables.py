"""The tables of case conferences (domain/conferences.py), in the case schema's metadata.
``title``, ``decision`` and a task's ``title`` are the coordinator's words: personal,
erased by retention (adapters/retention.py) — a decision and a task with the case they
are about, the meeting's title with the first case it discussed that is erased (it may
be about any of them)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, Index, Integer, String, Table, Text

from services.case.adapters.schema import at as _at
from services.case.adapters.schema import metadata
from shared.db.tables import BigId

conferences = Table(
    "conferences",
    metadata,
    Column("id", String(26), primary_key=True),
    Column("kind", String(12), nullable=False),
    Column("title", Text, nullable=False),
    Column("held_on", Date, nullable=False),
    Column("status", String(20), nullable=False),  # planned → held → minutes_recorded; cancelled
    Column("version", Integer, nullable=False),
    Column("created_by", String(64), nullable=False),
    _at("created_at", False),
    _at("updated_at", False),
    Index("ix_conferences_held_on", "held_on"),
)

# Who takes part: accounts (kind "account") and agencies (kind "agency"), by id.
conference_participants = Table(
    "conference_participants",
    metadata,
    Column("conference_id", String(26), primary_key=True),
    Column("kind", String(8), primary_key=True),
    Column("participant_id", String(64), primary_key=True),
    Index("ix_conference_participants_who", "participant_id", "kind"),
)

# The cases discussed, and what was decided about each (the minutes).
conference_cases = Table(
    "conference_cases",
    metadata,
    Column("conference_id", String(26), primary_key=True),
    Column("case_id", String(26), primary_key=True, index=True),
    Column("decision", Text, nullable=True),
    Column("decided_by", String(64), nullable=True),
    _at("decided_at"),
)

# Each field of a case disclosed to the meeting's participants, and its legal ground.
conference_disclosures = Table(
    "conference_disclosures",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("conference_id", String(26), nullable=False, index=True),
    Column("case_id", String(26), nullable=False, index=True),
    # The household member the share is about (None: the case's person); ``consent`` is
    # then the member's own where it differs from the case's.
    Column("member_id", String(26), nullable=True),
    Column("field", String(32), nullable=False),
    Column("recipients", JSON, nullable=False),  # {"accounts": [...], "agencies": [...]}
    Column("consent", String(8), nullable=False),
    Column("legal_ground", Text, nullable=True),  # None: shared under the person's consent
    Column("shared_by", String(64), nullable=False),
    _at("shared_at", False),
)

conference_tasks = Table(
    "conference_tasks",
    metadata,
    Column("id", String(26), primary_key=True),
    Column("conference_id", String(26), nullable=False, index=True),
    Column("case_id", String(26), nullable=False, index=True),
    Column("title", Text, nullable=False),
    Column("owner_kind", String(12), nullable=False),
    Column("owner_id", String(64), nullable=False),
    Column("due_on", Date, nullable=False),
    Column("status", String(12), nullable=False),  # open → done / cancelled
    Column("created_by", String(64), nullable=False),
    _at("created_at", False),
    _at("closed_at"),
    Column("closed_by", String(64), nullable=True),
)
