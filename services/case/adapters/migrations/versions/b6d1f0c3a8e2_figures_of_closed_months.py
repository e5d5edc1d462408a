"""figures of closed months: a projection read instead of every case of the month

Empty after the upgrade: a month without a ``figure_months`` row is counted live, so the
figures stay right until ``tsunagi figures rebuild`` (or the next change to the month)
fills it.

Revision ID: b6d1f0c3a8e2
Revises: f1a6c0d2b8e3
Create Date: 2026-12-03 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b6d1f0c3a8e2"
down_revision: str | None = "f1a6c0d2b8e3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "figure_months",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("month"),
    )
    op.create_table(
        "figure_counts",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("area", sa.String(length=40), nullable=False),
        sa.Column("measure", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.String(length=40), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "area", "measure", "key", "detail"),
    )
    op.create_table(
        "figure_durations",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("measure", sa.String(length=16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("median_hours", sa.Float(), nullable=True),
        sa.Column("p90_hours", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("month", "measure"),
    )


def downgrade() -> None:
    op.drop_table("figure_durations")
    op.drop_table("figure_counts")
    op.drop_table("figure_months")
