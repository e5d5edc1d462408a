"""figure_months.version: how many times a closed month was counted again

A closed quarter's or year's durations are ranked once and remembered while the sum of
its months' versions stays the same (``FigureProjection.closed_durations``).

Revision ID: a2c5e8f1b4d7
Revises: f1a8c3e5d7b9
Create Date: 2026-12-03 14:58:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a2c5e8f1b4d7"
down_revision: str | None = "f1a8c3e5d7b9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("figure_months") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("figure_months") as batch:
        batch.drop_column("version")
