"""The case's audit tables (schema ``case``): its timeline, the timeline's checkpoints and
who read the case — each append-only (adapters/append_only.py) — and the cases retention
is erasing on SQLite."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Index, Integer, String, Table

from services.case.adapters.schema import at as _at
from services.case.adapters.schema import metadata
from shared.db.engine import audit_schema
from shared.db.tables import BigId

# Every event about a case, from every service, once (event id is the key). Each case's
# entries form a hash chain (domain/chain.py) in the order they were appended (seq).
# Append-only: triggers refuse UPDATE and DELETE (adapters/append_only.py).
timeline = Table(
    "timeline",
    metadata,
    Column("event_id", String(26), primary_key=True),
    Column("case_id", String(26), nullable=False, index=True),
    Column("type", String(80), nullable=False),
    _at("occurred_at", False),
    Column("actor_role", String(16), nullable=False),
    Column("actor_id", String(64), nullable=False),
    Column("correlation_id", String(64), nullable=False),
    Column("causation_id", String(26), nullable=True),
    Column("summary", JSON, nullable=False),
    # sha256 of the entry as recorded: a changed row no longer matches its hash.
    Column("content_hash", String(64), nullable=False),
    _at("recorded_at", False),
    # The entry's number in its case's sequence, and its link: HMAC over the case, seq,
    # the previous entry's link and content_hash.
    Column("seq", Integer, nullable=False),
    Column("chain_hmac", String(64), nullable=False),
    # Retention erased the entry's summary: its content hash stays in the chain as recorded.
    _at("erased_at"),
    Index("ux_timeline_case_seq", "case_id", "seq", unique=True),
    Index("ix_timeline_case_event", "case_id", "event_id"),  # a case's page in event-id order
)

# Each commit's last (seq, link) of every case it appended to: removing the newest
# entries leaves the checkpoints pointing past the end. Its own schema on PostgreSQL;
# append-only like the timeline.
timeline_checkpoints = Table(
    "timeline_checkpoints",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("case_id", String(26), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("chain_hmac", String(64), nullable=False),
    _at("recorded_at", False),
    Index("ix_timeline_checkpoints_case_seq", "case_id", "seq"),
    schema=audit_schema("case"),
)

# SQLite only (PostgreSQL uses the transaction's tsunagi.erasure setting): the cases
# retention is erasing, written and removed inside its own transaction; the append-only
# triggers let their rows change (adapters/append_only.py).
erasing_cases = Table("erasing_cases", metadata, Column("case_id", String(26), primary_key=True))

# Who read which case (supervisors' reads are recorded, as the city's rules ask).
# Append-only, like the timeline.
case_reads = Table(
    "case_reads",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("case_id", String(26), nullable=False),
    Column("reader_role", String(16), nullable=False),
    Column("reader_id", String(64), nullable=False),
    Column("what", String(16), nullable=False),
    _at("read_at", False),
    # A read of one of the case's referrals (referral.viewed from the referral service).
    Column("referral_id", String(26), nullable=True),
    Index("ix_case_reads_reader", "reader_id", "read_at"),  # "what did this person read"
    Index("ix_case_reads_case_read_at", "case_id", "read_at", "id"),  # a case's page, either way round
)
