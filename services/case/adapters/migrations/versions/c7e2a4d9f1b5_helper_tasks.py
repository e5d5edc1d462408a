"""community helpers' tasks (地域の支援者への依頼) and their check-ins

Revision ID: c7e2a4d9f1b5
Revises: c4e7a1d9f052
Create Date: 2026-12-03 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c7e2a4d9f1b5"
down_revision: str | None = "c4e7a1d9f052"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _at(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "helper_tasks",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("case_id", sa.String(length=26), nullable=False),
        sa.Column("helper_id", sa.String(length=64), nullable=False),
        sa.Column("area", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("instructions", sa.Text(), nullable=False),
        sa.Column("shared_fields", sa.JSON(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("assigned_by", sa.String(length=64), nullable=False),
        _at("assigned_at", False),
        _at("accepted_at"),
        _at("ended_at"),
        _at("last_checkin_at"),
        _at("updated_at", False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_helper_tasks_case_id", "helper_tasks", ["case_id"])
    op.create_index("ix_helper_tasks_helper", "helper_tasks", ["helper_id", "status"])
    op.create_table(
        "helper_task_checkins",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("task_id", sa.String(length=26), nullable=False),
        sa.Column("case_id", sa.String(length=26), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        _at("checked_at", False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        _at("recorded_at", False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_helper_task_checkins_task_id", "helper_task_checkins", ["task_id"])
    op.create_index("ix_helper_task_checkins_case_id", "helper_task_checkins", ["case_id"])


def downgrade() -> None:
    op.drop_table("helper_task_checkins")
    op.drop_table("helper_tasks")
