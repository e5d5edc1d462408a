"""the figures' durations read from an index

``ix_cases_durations``: a period's unmerged cases by opening, with their area and the
moments each duration runs between, so a quarter's or a year's medians are one
index-only pass instead of a scan of the whole table (bench/README.md, issue 22).

Revision ID: f1a8c3e5d7b9
Revises: e3b7c9d1a5f2
Create Date: 2026-12-03 14:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f1a8c3e5d7b9"
down_revision: str | None = "e3b7c9d1a5f2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As the revision wrote them (the model's DURATION_COLUMNS may change later).
COLUMNS = ["opened_at", "area", "received_at", "assigned_at", "triaged_at", "first_contact_at", "first_handoff_at"]


def upgrade() -> None:
    op.create_index(
        "ix_cases_durations",
        "cases",
        COLUMNS,
        postgresql_where=sa.text("merged_into IS NULL"),
        sqlite_where=sa.text("merged_into IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_cases_durations", table_name="cases")
