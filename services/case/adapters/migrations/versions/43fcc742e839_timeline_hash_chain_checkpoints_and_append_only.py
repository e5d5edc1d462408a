"""timeline hash chain, checkpoints and append-only triggers

Numbers each case's existing timeline entries in event-id order (the order they were
shown in) and chains them with the timeline key — the configured TSUNAGI_TIMELINE_KEY,
or in embedded mode the key file in <data_dir>/keys that the service then uses too
(services/case/adapters/chain_key.py; ``tsunagi migrate`` and ``serve`` hand the
settings over) — recording one checkpoint per case. Then triggers refuse UPDATE and
DELETE on the timeline, the checkpoints and the read log, except inside retention's
erasure (services/case/adapters/append_only.py).

Revision ID: 43fcc742e839
Revises: a7c3e5f19d42
Create Date: 2026-12-03 05:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import context, op

revision: str = "43fcc742e839"
down_revision: str | None = "a7c3e5f19d42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AUDIT = "case_audit"
APPEND_ONLY = ("timeline", "case_reads")
REFUSAL = "tsunagi: %s on %s is refused: the table is append-only"

# The one function every PostgreSQL trigger calls: retention's erasure (the transaction's
# own tsunagi.erasure setting: the case ids it erases) may change those cases' timeline
# and read-log rows, never the checkpoints.
PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {AUDIT}.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_LEVEL = 'ROW' AND TG_TABLE_SCHEMA <> '{AUDIT}'
     AND OLD.case_id = ANY(string_to_array(coalesce(current_setting('tsunagi.erasure', true), ''), ',')) THEN
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'tsunagi: % on %.% is refused: the table is append-only', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$
"""


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    postgres = _postgres()
    if postgres:
        op.execute(f"CREATE SCHEMA IF NOT EXISTS {AUDIT}")
    op.create_table(
        "timeline_checkpoints",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(length=26), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("chain_hmac", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        schema=AUDIT if postgres else None,
    )
    op.create_index(
        "ix_timeline_checkpoints_case_seq",
        "timeline_checkpoints",
        ["case_id", "seq"],
        schema=AUDIT if postgres else None,
    )
    with op.batch_alter_table("timeline", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("chain_hmac", sa.String(length=64), nullable=True))
    _chain_existing_entries(postgres)
    with op.batch_alter_table("timeline", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("chain_hmac", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_index("ux_timeline_case_seq", ["case_id", "seq"], unique=True)
    if postgres:
        _postgres_triggers()
    else:
        _sqlite_triggers()


def _chain_existing_entries(postgres: bool) -> None:
    from services.case.adapters.chain_key import timeline_key
    from services.case.domain.chain import GENESIS, link
    from shared.settings import Settings

    key = timeline_key(context.config.attributes.get("settings") or Settings())
    connection = op.get_bind()
    entries = sa.table(
        "timeline",
        sa.column("event_id", sa.String),
        sa.column("case_id", sa.String),
        sa.column("content_hash", sa.String),
        sa.column("seq", sa.Integer),
        sa.column("chain_hmac", sa.String),
    )
    rows = connection.execute(
        sa.select(entries.c.event_id, entries.c.case_id, entries.c.content_hash).order_by(
            entries.c.case_id, entries.c.event_id
        )
    ).all()
    # The stored content hash is chained as it is: an entry changed before today still
    # fails verification (its fields no longer match it).
    updates: list[dict[str, object]] = []
    heads: dict[str, tuple[int, str]] = {}
    for row in rows:
        seq, previous = heads.get(row.case_id, (0, GENESIS))
        chained = link(key, row.case_id, seq + 1, previous, row.content_hash)
        heads[row.case_id] = (seq + 1, chained)
        updates.append({"row_id": row.event_id, "seq": seq + 1, "chain_hmac": chained})
    if updates:
        connection.execute(
            entries.update()
            .where(entries.c.event_id == sa.bindparam("row_id"))
            .values(seq=sa.bindparam("seq"), chain_hmac=sa.bindparam("chain_hmac")),
            updates,
        )
    checkpoints = sa.table(
        "timeline_checkpoints",
        sa.column("case_id", sa.String),
        sa.column("seq", sa.Integer),
        sa.column("chain_hmac", sa.String),
        sa.column("recorded_at", sa.DateTime(timezone=True)),
        schema=AUDIT if postgres else None,
    )
    now = datetime.now(UTC)
    if heads:
        connection.execute(
            checkpoints.insert(),
            [{"case_id": c, "seq": s, "chain_hmac": h, "recorded_at": now} for c, (s, h) in heads.items()],
        )


def _postgres_triggers() -> None:
    op.execute(PG_FUNCTION)
    for schema, table in [(None, t) for t in APPEND_ONLY] + [(AUDIT, "timeline_checkpoints")]:
        qualified = f"{schema}.{table}" if schema else table
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {qualified} "
            f"FOR EACH ROW EXECUTE FUNCTION {AUDIT}.refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {qualified} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {AUDIT}.refuse_change()"
        )


def _sqlite_triggers() -> None:
    op.create_table(
        "erasing_cases",
        sa.Column("case_id", sa.String(length=26), nullable=False),
        sa.PrimaryKeyConstraint("case_id"),
    )
    erasing = "OLD.case_id IN (SELECT case_id FROM erasing_cases)"
    for table in (*APPEND_ONLY, "timeline_checkpoints"):
        for action in ("UPDATE", "DELETE"):
            allowed = f"WHEN NOT ({erasing}) " if table in APPEND_ONLY else ""
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} {allowed}"
                f"BEGIN SELECT RAISE(ABORT, '{REFUSAL % (action, table)}'); END"
            )


def downgrade() -> None:
    postgres = _postgres()
    if postgres:
        for schema, table in [(None, t) for t in APPEND_ONLY] + [(AUDIT, "timeline_checkpoints")]:
            qualified = f"{schema}.{table}" if schema else table
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {qualified}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {qualified}")
    else:
        for table in (*APPEND_ONLY, "timeline_checkpoints"):
            for action in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")
        op.drop_table("erasing_cases")
    with op.batch_alter_table("timeline", schema=None) as batch_op:
        batch_op.drop_index("ux_timeline_case_seq")
        batch_op.drop_column("chain_hmac")
        batch_op.drop_column("seq")
    op.drop_index("ix_timeline_checkpoints_case_seq", "timeline_checkpoints", schema=AUDIT if postgres else None)
    op.drop_table("timeline_checkpoints", schema=AUDIT if postgres else None)
    if postgres:
        op.execute(f"DROP FUNCTION IF EXISTS {AUDIT}.refuse_change()")
        op.execute(f"DROP SCHEMA IF EXISTS {AUDIT}")
