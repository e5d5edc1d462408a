"""queue: a covering index for the queue's filters, counts and order; declined referrals by case

``ix_cases_queue`` holds every column the queue filters, counts and sorts on (area,
status, coordinator, priority, opened_at, id) for the cases not merged away, so the counts
and a page's ids are read from the index alone; the page's other columns are read for its
rows only. ``ix_referrals_needs_attention``: the few declined referrals waiting for their
coordinator, probed once per case by the counts. Plain CREATE INDEX (no table rebuild).

Revision ID: f1a6c0d2b8e3
Revises: e4b7d2a9c615
Create Date: 2026-12-03 08:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f1a6c0d2b8e3"
down_revision: str | None = "e4b7d2a9c615"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUEUE_COLUMNS = ["area", "status", "coordinator_id", "priority", "opened_at", "id"]


def upgrade() -> None:
    op.create_index(
        "ix_cases_queue",
        "cases",
        QUEUE_COLUMNS,
        postgresql_where=sa.text("merged_into IS NULL"),
        sqlite_where=sa.text("merged_into IS NULL"),
    )
    op.create_index(
        "ix_referrals_needs_attention",
        "referrals",
        ["case_id"],
        postgresql_where=sa.text("needs_attention IS TRUE"),
        sqlite_where=sa.text("needs_attention IS 1"),
    )


def downgrade() -> None:
    op.drop_index("ix_referrals_needs_attention", table_name="referrals")
    op.drop_index("ix_cases_queue", table_name="cases")
