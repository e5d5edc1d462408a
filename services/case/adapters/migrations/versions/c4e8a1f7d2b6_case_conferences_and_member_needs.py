"""case conferences (ケース会議・地区推進会議・支援会議) and each household member's needs

The meeting, its participants, the cases discussed with their decisions, the fields
disclosed to the participants with their legal ground, and the tasks set. Household
members gain their own categories, consent, preferred language and interpreter need;
a referral may be for one member. Plain CREATE TABLE and ADD COLUMN.

Revision ID: c4e8a1f7d2b6
Revises: c8e41a7d5b90
Create Date: 2026-12-03 11:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c4e8a1f7d2b6"
down_revision: str | None = "c8e41a7d5b90"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _at(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "conferences",
        sa.Column("id", sa.String(26), primary_key=True),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        _at("created_at", False),
        _at("updated_at", False),
    )
    op.create_index("ix_conferences_held_on", "conferences", ["held_on"])
    op.create_table(
        "conference_participants",
        sa.Column("conference_id", sa.String(26), primary_key=True),
        sa.Column("kind", sa.String(8), primary_key=True),
        sa.Column("participant_id", sa.String(64), primary_key=True),
    )
    op.create_index("ix_conference_participants_who", "conference_participants", ["participant_id", "kind"])
    op.create_table(
        "conference_cases",
        sa.Column("conference_id", sa.String(26), primary_key=True),
        sa.Column("case_id", sa.String(26), primary_key=True),
        sa.Column("decision", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(64), nullable=True),
        _at("decided_at"),
    )
    op.create_index("ix_conference_cases_case_id", "conference_cases", ["case_id"])
    op.create_table(
        "conference_disclosures",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("conference_id", sa.String(26), nullable=False),
        sa.Column("case_id", sa.String(26), nullable=False),
        sa.Column("field", sa.String(32), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("consent", sa.String(8), nullable=False),
        sa.Column("legal_ground", sa.Text(), nullable=True),
        sa.Column("shared_by", sa.String(64), nullable=False),
        _at("shared_at", False),
    )
    op.create_index("ix_conference_disclosures_conference_id", "conference_disclosures", ["conference_id"])
    op.create_index("ix_conference_disclosures_case_id", "conference_disclosures", ["case_id"])
    op.create_table(
        "conference_tasks",
        sa.Column("id", sa.String(26), primary_key=True),
        sa.Column("conference_id", sa.String(26), nullable=False),
        sa.Column("case_id", sa.String(26), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("owner_kind", sa.String(12), nullable=False),
        sa.Column("owner_id", sa.String(64), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        _at("created_at", False),
        _at("closed_at"),
        sa.Column("closed_by", sa.String(64), nullable=True),
    )
    op.create_index("ix_conference_tasks_conference_id", "conference_tasks", ["conference_id"])
    op.create_index("ix_conference_tasks_case_id", "conference_tasks", ["case_id"])
    op.add_column("household_members", sa.Column("categories", sa.JSON(), nullable=True))
    op.add_column("household_members", sa.Column("consent", sa.String(8), nullable=True))
    op.add_column("household_members", sa.Column("language", sa.String(40), nullable=True))
    op.add_column(
        "household_members", sa.Column("interpreter", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("referrals", sa.Column("member_id", sa.String(26), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("referrals") as batch:
        batch.drop_column("member_id")
    with op.batch_alter_table("household_members") as batch:
        for column in ("interpreter", "language", "consent", "categories"):
            batch.drop_column(column)
    for table in ("conference_tasks", "conference_disclosures", "conference_cases", "conference_participants"):
        op.drop_table(table)
    op.drop_index("ix_conferences_held_on", "conferences")
    op.drop_table("conferences")
