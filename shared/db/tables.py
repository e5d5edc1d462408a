"""The transactional-messaging tables every service has in its own schema:
the outbox (events to publish, written with the state change) and the inbox
(event ids already applied, written with their effect)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
)

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


@dataclass(frozen=True)
class MessagingTables:
    outbox: Table
    inbox: Table


def messaging_tables(metadata: MetaData) -> MessagingTables:
    outbox = Table(
        "outbox",
        metadata,
        # Publication order: ids are taken in commit order for one aggregate, because
        # every change of one aggregate is serialised by its version guard.
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("event_id", String(26), nullable=False, unique=True),
        Column("event_type", String(80), nullable=False),
        Column("stream", String(80), nullable=False),
        Column("aggregate_id", String(64), nullable=False),
        Column("envelope", JSON, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("published_at", DateTime(timezone=True), nullable=True),
        Column("attempts", Integer, nullable=False, default=0),
        # Retention removed the personal fields of this row's event (shared/messaging/erasure.py).
        Column("erased_at", DateTime(timezone=True), nullable=True),
        Index("ix_outbox_unpublished", "published_at", "id"),
        Index("ix_outbox_aggregate", "aggregate_id"),
    )
    inbox = Table(
        "inbox",
        metadata,
        Column("event_id", String(26), primary_key=True),
        Column("event_type", String(80), nullable=False),
        Column("stream", String(80), nullable=False),
        Column("applied_at", DateTime(timezone=True), nullable=False),
    )
    return MessagingTables(outbox=outbox, inbox=inbox)


@dataclass(frozen=True)
class AccessTables:
    accounts: Table
    ended_sessions: Table


def access_tables(metadata: MetaData) -> AccessTables:
    """What a service keeps of the console's ``account.*`` and ``session.ended`` events
    (``shared/access.py``): each account's grants and whether it is disabled, and the
    sessions that ended, so their tokens are refused here too."""
    accounts = Table(
        "known_accounts",
        metadata,
        Column("account_id", String(64), primary_key=True),
        Column("disabled", Boolean, nullable=False),
        Column("grants", JSON, nullable=False),
        # The event the state comes from: a later event wins, whatever the arrival order.
        Column("event_id", String(26), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    )
    ended_sessions = Table(
        "ended_sessions",
        metadata,
        Column("session_id", String(26), primary_key=True),
        Column("account_id", String(64), nullable=False),
        Column("reason", String(20), nullable=False),
        Column("ended_at", DateTime(timezone=True), nullable=False),
        Column("valid_until", DateTime(timezone=True), nullable=False, index=True),
    )
    return AccessTables(accounts=accounts, ended_sessions=ended_sessions)


def idempotency_table(metadata: MetaData) -> Table:
    """The POSTs a client sent with an ``Idempotency-Key`` (``shared/http/idempotency.py``):
    one row per account and key — the primary key stops a concurrent duplicate — holding
    what was sent (a hash) and, once answered, the answer to replay."""
    return Table(
        "idempotency_keys",
        metadata,
        Column("account_id", String(64), primary_key=True),  # SHA-256 of the token's subject
        Column("key", String(128), primary_key=True),
        Column("fingerprint", String(64), nullable=False),
        # None while the first request is still being answered.
        Column("status", Integer, nullable=True),
        Column("content_type", String(100), nullable=True),
        Column("body", LargeBinary, nullable=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
    )
