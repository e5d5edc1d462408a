"""second factor: TOTP secret, recovery codes, sessions awaiting the second step

Revision ID: 5b7d2e9c41a3
Revises: 3914d14a404c
Create Date: 2026-12-03 04:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5b7d2e9c41a3"
down_revision: str | None = "3914d14a404c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("accounts", sa.Column("totp_secret", sa.String(length=200), nullable=True))
    op.add_column("accounts", sa.Column("totp_confirmed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("accounts", sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    op.add_column("sessions", sa.Column("awaiting", sa.String(length=20), nullable=True))
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_recovery_codes_account_id"), "recovery_codes", ["account_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_recovery_codes_account_id"), table_name="recovery_codes")
    op.drop_table("recovery_codes")
    op.drop_column("sessions", "awaiting")
    op.drop_column("accounts", "totp_last_step")
    op.drop_column("accounts", "totp_confirmed_at")
    op.drop_column("accounts", "totp_secret")
