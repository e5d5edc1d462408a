"""Notify's own tables (schema ``notify``): what it knows of cases and referrals (from
events), the notifications, their channel deliveries and attempts, and the durable
follow-up timers."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from shared.db.tables import BigId, access_tables, idempotency_table, messaging_tables

metadata = MetaData()
messaging = messaging_tables(metadata)
access = access_tables(metadata)
idempotency = idempotency_table(metadata)

# Projections of other services' events: just what routing and follow-ups need.
cases = Table(
    "cases",
    metadata,
    Column("case_id", String(26), primary_key=True),
    Column("case_number", String(40), nullable=True),
    Column("area", String(40), nullable=True),
    Column("urgency", String(8), nullable=True),
    Column("opened_at", DateTime(timezone=True), nullable=True),
    # The coordinator the case is assigned to (from case.assigned; None: unassigned), the
    # area they were given it in, and the event that said so (a later one wins).
    Column("coordinator_id", String(64), nullable=True),
    Column("assigned_area", String(40), nullable=True),
    Column("assignment_event_id", String(64), nullable=True),
    # The assigned cases and to whom, read without the table (who else has a case).
    Index(
        "ix_cases_assigned",
        "case_id",
        "coordinator_id",
        postgresql_where=text("coordinator_id IS NOT NULL"),
        sqlite_where=text("coordinator_id IS NOT NULL"),
    ),
)

case_reporters = Table(
    "case_reporters",
    metadata,
    Column("case_id", String(26), primary_key=True),
    Column("reporter_id", String(64), primary_key=True),
)

referrals = Table(
    "referrals",
    metadata,
    Column("referral_id", String(26), primary_key=True),
    Column("case_id", String(26), nullable=False, index=True),
    Column("case_number", String(40), nullable=True),
    Column("area", String(40), nullable=False),
    Column("agency_id", String(64), nullable=False),
    Column("agency_kind", String(60), nullable=True),
    Column("urgency", String(8), nullable=True),
    Column("correlation_id", String(64), nullable=True),
    Column("status", String(20), nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=True),
    Column("acknowledged_at", DateTime(timezone=True), nullable=True),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Column("closed_at", DateTime(timezone=True), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

notifications = Table(
    "notifications",
    metadata,
    Column("id", String(26), primary_key=True),
    Column("recipient_role", String(20), nullable=False),
    Column("recipient_scope", String(64), nullable=False),
    # The person it is addressed to within that scope (a case's assigned coordinator);
    # None: everyone of the scope.
    Column("recipient_person", String(64), nullable=True),
    Column("kind", String(60), nullable=False),
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("case_id", String(26), nullable=True),
    Column("referral_id", String(26), nullable=True),
    Column("about_event_id", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("read_at", DateTime(timezone=True), nullable=True),
    Column("read_by", String(128), nullable=True),
    UniqueConstraint(
        "about_event_id", "recipient_role", "recipient_scope", "kind", name="uq_notifications_once_per_event"
    ),
    Index("ix_notifications_inbox", "recipient_role", "recipient_scope", "created_at"),
    # The inbox's counts from the index alone (who it is for, the case it is about).
    Index("ix_notifications_person", "recipient_role", "recipient_scope", "recipient_person", "case_id", "id"),
)

# Who read which notification: an area's coordinators (or the supervisors) share one
# inbox, but each person's read / unread is their own — and a read is a record of
# who saw what.
notification_reads = Table(
    "notification_reads",
    metadata,
    Column("notification_id", String(26), primary_key=True),
    Column("reader", String(128), primary_key=True),
    Column("read_at", DateTime(timezone=True), nullable=False),
    Index("ix_notification_reads_reader", "reader", "notification_id"),  # what one reader has read
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", String(26), primary_key=True),
    Column("notification_id", String(26), nullable=False, index=True),
    Column("channel", String(20), nullable=False),
    Column("target", String(500), nullable=False),
    # pending → delivered | failed (a supervisor may put a failed one back to pending)
    Column("status", String(12), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("claimed_by", String(128), nullable=True),
    Column("claimed_until", DateTime(timezone=True), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("delivered_at", DateTime(timezone=True), nullable=True),
    Column("failed_at", DateTime(timezone=True), nullable=True),
    Index("ix_deliveries_due", "status", "next_attempt_at"),
)

delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("delivery_id", String(26), nullable=False, index=True),
    Column("attempt", Integer, nullable=False),
    Column("worker", String(128), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("detail", Text, nullable=True),
)

# A timer chases a referral's step, or (subject "watch") a watch plan's next check-in
# (見守り): then referral_id holds the plan, agency_id the watcher (of watcher_kind),
# step is "checkin" and round counts the check-ins chased.
followups = Table(
    "followups",
    metadata,
    Column("id", String(26), primary_key=True),
    Column("subject", String(12), nullable=False, server_default="referral"),
    Column("watcher_kind", String(12), nullable=True),
    Column("referral_id", String(26), nullable=False),
    Column("case_id", String(26), nullable=False),
    Column("agency_id", String(64), nullable=False),
    Column("agency_kind", String(60), nullable=True),
    Column("area", String(40), nullable=False),
    Column("urgency", String(8), nullable=True),
    Column("calendar", String(40), nullable=True),
    Column("correlation_id", String(64), nullable=True),
    Column("step", String(20), nullable=False),
    Column("round", Integer, nullable=False, default=1),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    # Rungs of the escalation ladder already fired (0–3); the conditional update on
    # it is what makes each rung fire once across replicas.
    Column("level", Integer, nullable=False, default=0),
    Column("next_fire_at", DateTime(timezone=True), nullable=True),
    # pending (waiting or overdue) → done (handled) | cancelled (referral closed)
    Column("status", String(12), nullable=False),
    Column("last_fired_at", DateTime(timezone=True), nullable=True),
    Column("fired_by", String(128), nullable=True),
    Column("ended_at", DateTime(timezone=True), nullable=True),
    Column("ended_by_event", String(64), nullable=True),
    UniqueConstraint("referral_id", "step", "round", name="uq_followups_step_round"),
    Index("ix_followups_due", "status", "next_fire_at"),
    Index("ix_followups_overdue", "status", "subject", "due_at", "id"),  # the overdue list in its order
)

followup_firings = Table(
    "followup_firings",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("followup_id", String(26), nullable=False),
    Column("rung", Integer, nullable=False),
    Column("recipient_role", String(20), nullable=False),
    Column("recipient_scope", String(64), nullable=False),
    Column("fired_at", DateTime(timezone=True), nullable=False),
    Column("worker", String(128), nullable=False),
    Column("notification_id", String(26), nullable=False),
    UniqueConstraint("followup_id", "rung", name="uq_followup_firings_once"),
)
