"""queue and timeline reads: the queue's order, filters and counts; attention; a timeline by event id

``ix_cases_queue`` holds every column the queue filters, counts and sorts on (area,
status, coordinator, priority, opened_at, id) for the cases not merged away, so the counts
and a page's ids are read from the index alone; the page's other columns are read for its
rows only. ``ix_referrals_needs_attention``: the few declined referrals waiting for their
coordinator. ``ix_cases_queue_order``: the queue's own order (priority rank, opened_at,
id — the rank as the same expression the queue sorts by) with the filters' columns after
it, so page 1 and a cursor's page walk it and stop. ``ix_timeline_case_event``: a case's
timeline page in event-id order. Plain CREATE INDEX (no rebuild: the timeline's
append-only triggers stay).

Revision ID: f1a6c0d2b8e3
Revises: b5d8e2f4a613
Create Date: 2026-12-03 08:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f1a6c0d2b8e3"
down_revision: str | None = "b5d8e2f4a613"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUEUE_COLUMNS = ["area", "status", "coordinator_id", "priority", "opened_at", "id"]
# services/case/adapters/orm.py PRIORITY_RANK_SQL as it was written (緊急, 高, 通常, others last).
PRIORITY_RANK = "(CASE priority WHEN '緊急' THEN 0 WHEN '高' THEN 1 WHEN '通常' THEN 2 ELSE 3 END)"


def upgrade() -> None:
    op.create_index(
        "ix_cases_queue_order",
        "cases",
        [sa.text(PRIORITY_RANK), "opened_at", "id", "area", "status", "coordinator_id"],
        postgresql_where=sa.text("merged_into IS NULL"),
        sqlite_where=sa.text("merged_into IS NULL"),
    )
    op.create_index("ix_timeline_case_event", "timeline", ["case_id", "event_id"])
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
    op.drop_index("ix_timeline_case_event", table_name="timeline")
    op.drop_index("ix_cases_queue_order", table_name="cases")
    op.drop_index("ix_referrals_needs_attention", table_name="referrals")
    op.drop_index("ix_cases_queue", table_name="cases")
