"""watch plans (見守り) and their check-ins

``cases.watch_plan_id`` marks the running plan, by plain ``ALTER TABLE … ADD COLUMN``
(no batch rebuild of any table, so the timeline's append-only triggers stay).

Revision ID: b5d8e2f4a613
Revises: 963452438c33
Create Date: 2026-12-03 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b5d8e2f4a613"
down_revision: str | None = "963452438c33"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _at(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "watch_plans",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("case_id", sa.String(length=26), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("watcher_kind", sa.String(length=12), nullable=False),
        sa.Column("watcher_id", sa.String(length=64), nullable=False),
        sa.Column("every", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("look_for", sa.Text(), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        _at("started_at", False),
        _at("last_checkin_at"),
        _at("next_due_at"),
        _at("ended_at"),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        _at("updated_at", False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_watch_plans_case_id", "watch_plans", ["case_id"])
    op.create_table(
        "watch_checkins",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("plan_id", sa.String(length=26), nullable=False),
        sa.Column("case_id", sa.String(length=26), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        _at("checked_at", False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        _at("recorded_at", False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_watch_checkins_plan_id", "watch_checkins", ["plan_id"])
    op.create_index("ix_watch_checkins_case_id", "watch_checkins", ["case_id"])
    op.add_column("cases", sa.Column("watch_plan_id", sa.String(length=26), nullable=True))


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35): no rebuild.
    op.execute("ALTER TABLE cases DROP COLUMN watch_plan_id")
    op.drop_table("watch_checkins")
    op.drop_table("watch_plans")
