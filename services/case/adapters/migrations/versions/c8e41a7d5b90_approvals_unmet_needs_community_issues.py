"""supervisor approvals, unmet needs and community issues

New tables only (no rebuild of any table, so the timeline's append-only triggers stay).

Revision ID: c8e41a7d5b90
Revises: c7e2a4d9f1b5
Create Date: 2026-12-03 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c8e41a7d5b90"
down_revision: str | None = "c7e2a4d9f1b5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _at(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "approvals",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("case_id", sa.String(length=26), nullable=False),
        sa.Column("area", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("move", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        _at("requested_at", False),
        _at("decide_by", False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        _at("decided_at"),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        _at("carried_out_at"),
        sa.Column("outcome", sa.Text(), nullable=True),
        _at("updated_at", False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_approvals_case_id", "approvals", ["case_id"])
    op.create_index("ix_approvals_status_requested", "approvals", ["status", "requested_at"])
    op.create_table(
        "unmet_needs",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("case_id", sa.String(length=26), nullable=False),
        sa.Column("area", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("school_district", sa.String(length=40), nullable=False),
        sa.Column("missing", sa.Text(), nullable=False),
        sa.Column("issue_id", sa.String(length=26), nullable=True),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        _at("recorded_at", False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_unmet_needs_case_id", "unmet_needs", ["case_id"])
    op.create_index("ix_unmet_needs_issue_id", "unmet_needs", ["issue_id"])
    op.create_table(
        "community_issues",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("area", sa.String(length=40), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("raised_by", sa.String(length=64), nullable=False),
        _at("raised_at", False),
        _at("updated_at", False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_community_issues_area", "community_issues", ["area"])


def downgrade() -> None:
    op.drop_table("community_issues")
    op.drop_table("unmet_needs")
    op.drop_table("approvals")
