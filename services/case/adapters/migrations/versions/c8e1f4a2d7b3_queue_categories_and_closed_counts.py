"""the queue's categories as rows, closed cases counted per (area, priority, coordinator)

``case_categories``: each case's categories as rows (primary key case, category; an index
by category), so the queue's category filter is an index lookup instead of a read of the
JSON column of every case in the queue's order. ``closed_counts``: the closed, unmerged
cases per area, priority and coordinator ("" for none), kept by the case service in the
case's transaction, so the queue's counts read the open cases and these few rows instead
of every closed case. Both backfilled from ``cases``. ``ix_cases_queue`` and
``ix_cases_queue_order`` gain the school district, so the district filter is read from
the index too; ``ix_cases_open``: the open cases alone, so the city's counts read a
quarter of the entries.

Revision ID: c8e1f4a2d7b3
Revises: b6d1f0c3a8e2
Create Date: 2026-12-03 10:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c8e1f4a2d7b3"
down_revision: str | None = "b6d1f0c3a8e2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLOSED = "終結"
# services/case/adapters/orm.py PRIORITY_RANK_SQL and OPEN_CASES_SQL as they were written.
PRIORITY_RANK = "(CASE priority WHEN '緊急' THEN 0 WHEN '高' THEN 1 WHEN '通常' THEN 2 ELSE 3 END)"
OPEN_CASES = "merged_into IS NULL AND status IN ('受付', '対応中', 'つなぎ中', '見守り')"
NOT_MERGED = "merged_into IS NULL"


def _indexes(district: bool) -> None:
    """The queue's two indexes, with the school district after their columns or not."""
    op.drop_index("ix_cases_queue_order", table_name="cases")
    op.drop_index("ix_cases_queue", table_name="cases")
    extra = ["school_district"] if district else []
    op.create_index(
        "ix_cases_queue_order",
        "cases",
        [sa.text(PRIORITY_RANK), "opened_at", "id", "area", "status", "coordinator_id", *extra],
        postgresql_where=sa.text(NOT_MERGED),
        sqlite_where=sa.text(NOT_MERGED),
    )
    op.create_index(
        "ix_cases_queue",
        "cases",
        ["area", "status", "coordinator_id", "priority", "opened_at", "id", *extra],
        postgresql_where=sa.text(NOT_MERGED),
        sqlite_where=sa.text(NOT_MERGED),
    )


def upgrade() -> None:
    op.create_table(
        "case_categories",
        sa.Column("case_id", sa.String(26), primary_key=True),
        sa.Column("category", sa.String(40), primary_key=True),
    )
    op.create_index("ix_case_categories_category", "case_categories", ["category", "case_id"])
    op.create_table(
        "closed_counts",
        sa.Column("area", sa.String(40), primary_key=True),
        sa.Column("priority", sa.String(4), primary_key=True),
        sa.Column("coordinator_id", sa.String(64), primary_key=True),
        sa.Column("n", sa.Integer, nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        elements = "json_array_elements_text(cases.categories::json) AS each(value)"
    else:
        elements = "json_each(cases.categories) AS each"
    op.execute(
        f"INSERT INTO case_categories (case_id, category) SELECT DISTINCT cases.id, each.value FROM cases, {elements}"
    )
    op.execute(
        "INSERT INTO closed_counts (area, priority, coordinator_id, n) "
        "SELECT area, priority, COALESCE(coordinator_id, ''), COUNT(*) FROM cases "
        f"WHERE status = '{CLOSED}' AND merged_into IS NULL GROUP BY area, priority, COALESCE(coordinator_id, '')"
    )
    _indexes(district=True)
    op.create_index(
        "ix_cases_open",
        "cases",
        ["area", "status", "coordinator_id", "priority", "school_district", "opened_at", "id"],
        postgresql_where=sa.text(OPEN_CASES),
        sqlite_where=sa.text(OPEN_CASES),
    )


def downgrade() -> None:
    op.drop_index("ix_cases_open", table_name="cases")
    _indexes(district=False)
    op.drop_table("closed_counts")
    op.drop_index("ix_case_categories_category", table_name="case_categories")
    op.drop_table("case_categories")
