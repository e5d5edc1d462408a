"""The case service's own tables (schema ``case``). Times are UTC. The watch plans', the
figures' and the queue's own tables are in their own modules, on the same metadata (named
here too)."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Index, Integer, String, Table, Text, text

from services.case.adapters.activity_tables import activities, watch_missed
from services.case.adapters.approval_tables import approvals, community_issues, unmet_needs
from services.case.adapters.audit_tables import case_reads, erasing_cases, timeline, timeline_checkpoints
from services.case.adapters.conference_tables import (
    conference_cases,
    conference_disclosures,
    conference_participants,
    conference_tasks,
    conferences,
)
from services.case.adapters.figure_tables import figure_counts, figure_durations, figure_months
from services.case.adapters.helper_tables import helper_task_checkins, helper_tasks
from services.case.adapters.queue_tables import case_categories, closed_counts
from services.case.adapters.schema import at as _at
from services.case.adapters.schema import metadata
from services.case.adapters.watch_tables import watch_checkins, watch_plans
from services.case.domain.queue import PRIORITIES
from services.case.domain.status import OPEN_STATUSES, STATUSES
from shared.db.tables import access_tables, idempotency_table, messaging_tables

messaging = messaging_tables(metadata)
access = access_tables(metadata)
idempotency = idempotency_table(metadata)


# A priority's place in the queue's order (domain.queue.PRIORITIES, unknown last), as the
# SQL both the queue's ORDER BY and its index say: an index serves only the same expression.
PRIORITY_RANK_SQL = text(
    "(CASE priority "
    + " ".join(f"WHEN '{p}' THEN {i}" for i, p in enumerate(PRIORITIES))
    + f" ELSE {len(PRIORITIES)} END)"
)

# The open, unmerged cases, as the queue's filter on open statuses implies.
OPEN_CASES_SQL = text(
    "merged_into IS NULL AND status IN (" + ", ".join(f"'{s}'" for s in STATUSES if s in OPEN_STATUSES) + ")"
)

# The figures' durations: a period's cases by opening, with their area and the moments
# each duration runs between (adapters/figures.py reads them from the index alone).
DURATION_COLUMNS = (
    "opened_at",
    "area",
    "received_at",
    "assigned_at",
    "triaged_at",
    "first_contact_at",
    "first_handoff_at",
)

cases = Table(
    "cases",
    metadata,
    Column("id", String(26), primary_key=True),
    Column("case_number", String(20), nullable=False, unique=True),
    Column("area", String(40), nullable=False, index=True),
    Column("school_district", String(40), nullable=False),
    Column("status", String(8), nullable=False),
    Column("stage", String(8), nullable=False),
    Column("priority", String(4), nullable=False),
    Column("categories", JSON, nullable=False),
    Column("coordinator_id", String(64), nullable=True, index=True),
    Column("consent", String(8), nullable=False),
    Column("legal_ground", Text, nullable=True),
    Column("person", JSON, nullable=False),
    Column("channel", String(40), nullable=False),
    Column("sample", Boolean, nullable=False, default=False),
    _at("opened_at", False),
    _at("updated_at", False),
    # When intake received the consultation that opened it: its times are measured from here.
    _at("received_at"),
    _at("assigned_at"),  # first given to a coordinator
    _at("triaged_at"),  # first triaged
    # Every referral ended: the coordinator owes the next step (要判断) since then.
    _at("decision_needed_at"),
    _at("first_contact_at"),
    _at("first_handoff_at"),
    _at("closed_at"),
    # Set while this case is merged into another (undone: back to NULL).
    Column("merged_into", String(26), nullable=True, index=True),
    Column("version", Integer, nullable=False),
    _at("erased_at"),  # retention erased its personal fields (services/case/handlers/retention.py)
    Column("watch_plan_id", String(26), nullable=True),  # the running watch plan (見守り), if any
    Index("ix_cases_opened_at", "opened_at"),  # the figures read a period's cases by when they opened
    # The figures' durations of a period, read from the index alone (adapters/figures.py).
    Index(
        "ix_cases_durations",
        *DURATION_COLUMNS,
        postgresql_where=text("merged_into IS NULL"),
        sqlite_where=text("merged_into IS NULL"),
    ),
    # The queue in its order (adapters/queue.py): a page walks it and stops, the filters
    # read from the index too.
    Index(
        "ix_cases_queue_order",
        PRIORITY_RANK_SQL,
        "opened_at",
        "id",
        "area",
        "status",
        "coordinator_id",
        "school_district",
        postgresql_where=text("merged_into IS NULL"),
        sqlite_where=text("merged_into IS NULL"),
    ),
    # The queue's filters, counts and order, read from the index alone (adapters/queue.py).
    Index(
        "ix_cases_queue",
        "area",
        "status",
        "coordinator_id",
        "priority",
        "opened_at",
        "id",
        "school_district",
        postgresql_where=text("merged_into IS NULL"),
        sqlite_where=text("merged_into IS NULL"),
    ),
    # The open cases alone (a quarter of them): the city's counts read these entries only.
    Index(
        "ix_cases_open",
        "area",
        "status",
        "coordinator_id",
        "priority",
        "school_district",
        "opened_at",
        "id",
        postgresql_where=OPEN_CASES_SQL,
        sqlite_where=OPEN_CASES_SQL,
    ),
)

# Each consultation as it joined a case (opened it, was linked, or came with a merge).
case_consultations = Table(
    "case_consultations",
    metadata,
    Column("consultation_id", String(26), primary_key=True),
    Column("case_id", String(26), nullable=False, index=True),
    Column("reference", String(32), nullable=False, index=True),  # search by reference number
    Column("reporter_id", String(64), nullable=False),
    Column("reporter_role", String(40), nullable=False),
    Column("channel", String(40), nullable=False),
    Column("school_district", String(40), nullable=False),
    Column("categories", JSON, nullable=False),
    Column("urgency", String(4), nullable=False),
    Column("consent", String(8), nullable=False),
    Column("legal_ground", Text, nullable=True),
    Column("person", JSON, nullable=False),
    Column("household", JSON, nullable=False),
    Column("noticed", Text, nullable=False),
    Column("how", String(16), nullable=False),  # opened / linked
    _at("received_at", False),
    # Match keys (domain/matching.py): keyed hashes, indexed, so matching reads only
    # candidates; name_key and kana_key (the furigana) also serve search by name.
    Column("name_key", String(32), nullable=True, index=True),
    Column("place_key", String(32), nullable=True, index=True),
    Column("household_key", String(32), nullable=True, index=True),
    Column("kana_key", String(32), nullable=True, index=True),
    Index("ix_case_consultations_received_at", "received_at"),  # the figures read a period's consultations
)

household_members = Table(
    "household_members",
    metadata,
    Column("id", String(26), primary_key=True),
    Column("case_id", String(26), nullable=False, index=True),
    Column("relation", String(40), nullable=False),
    Column("age_group", String(20), nullable=True),
    Column("name", String(100), nullable=True),
    Column("note", Text, nullable=True),
    Column("source", String(40), nullable=False),  # a consultation id or "coordinator"
    _at("added_at", False),
    # The member's name as a search key (MatchKeys.name), beside the member it keys:
    # written with the row, gone with it, one indexed lookup per search.
    Column("name_key", String(32), nullable=True, index=True),
    # The member's own needs: categories (reference categories), consent where it differs
    # from the case's (None: the case's), preferred language and whether an interpreter is needed.
    Column("categories", JSON, nullable=True),
    Column("consent", String(8), nullable=True),
    Column("language", String(40), nullable=True),
    Column("interpreter", Boolean, nullable=False, default=False, server_default=text("false")),
)

# Likely matches offered to the coordinator: merge the case into the candidate, or dismiss.
link_offers = Table(
    "link_offers",
    metadata,
    Column("id", String(26), primary_key=True),
    Column("case_id", String(26), nullable=False, index=True),
    Column("candidate_case_id", String(26), nullable=False, index=True),
    Column("reasons", JSON, nullable=False),
    Column("status", String(12), nullable=False),  # offered / merged / dismissed
    _at("created_at", False),
)

merges = Table(
    "merges",
    metadata,
    Column("id", String(26), primary_key=True),
    Column("source_case_id", String(26), nullable=False, index=True),
    Column("target_case_id", String(26), nullable=False, index=True),
    Column("source_status", String(8), nullable=False),
    Column("merged_by", String(64), nullable=False),
    _at("merged_at", False),
    Column("undone_by", String(64), nullable=True),
    _at("undone_at"),
)

# The case's view of each referral, built from its own request and the agency's moves.
referrals = Table(
    "referrals",
    metadata,
    Column("id", String(26), primary_key=True),
    Column("case_id", String(26), nullable=False, index=True),
    Column("agency_id", String(64), nullable=False),
    Column("purpose", Text, nullable=True),
    Column("shared_fields", JSON, nullable=False),
    Column("member_id", String(26), nullable=True),  # a referral for one household member
    # The urgency it was requested with (the case's priority then): with the agency's
    # kind it picks the follow-up policy's decide span the figures judge it by.
    Column("urgency", String(4), nullable=True),
    Column("status", String(16), nullable=False),
    Column("status_event_id", String(26), nullable=True),
    Column("requested_by", String(64), nullable=True),
    _at("requested_at"),
    _at("received_at"),
    _at("acknowledged_at"),
    _at("accepted_at"),
    _at("declined_at"),
    Column("decline_reason", Text, nullable=True),
    # A decline puts the case back in front of its coordinator until they deal with it.
    Column("needs_attention", Boolean, nullable=False, default=False),
    Column("last_followup", String(120), nullable=True),
    _at("updated_at", False),
    # The declined referrals waiting for their coordinator (the queue's needs-attention count).
    Index(
        "ix_referrals_needs_attention",
        "case_id",
        postgresql_where=text("needs_attention IS TRUE"),
        sqlite_where=text("needs_attention IS 1"),
    ),
)

contacts = Table(
    "contacts",
    metadata,
    Column("id", String(26), primary_key=True),
    Column("case_id", String(26), nullable=False, index=True),
    _at("contacted_at", False),
    Column("channel", String(40), nullable=False),
    Column("whom", String(100), nullable=False),
    Column("outcome", Text, nullable=False),
    Column("recorded_by", String(64), nullable=False),
    _at("recorded_at", False),
)

notes = Table(
    "notes",
    metadata,
    Column("id", String(26), primary_key=True),
    Column("case_id", String(26), nullable=False, index=True),
    Column("body", Text, nullable=False),
    Column("author_id", String(64), nullable=False),
    _at("created_at", False),
)

# Named here for the modules that import every table from this one.
__all__ = [
    "access", "activities", "approvals", "case_categories", "case_reads", "closed_counts", "community_issues",
    "conference_cases", "conference_disclosures", "conference_participants", "conference_tasks", "conferences",
    "erasing_cases", "figure_counts", "figure_durations", "figure_months", "helper_task_checkins", "helper_tasks",
    "idempotency", "messaging", "metadata", "timeline", "timeline_checkpoints", "unmet_needs", "watch_checkins",
    "watch_missed", "watch_plans",
]  # fmt: skip
