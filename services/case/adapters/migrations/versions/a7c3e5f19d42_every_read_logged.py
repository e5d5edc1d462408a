"""every read logged

Reads are recorded for every role, not only supervisors, and an agency's (or anyone's)
read of a referral arrives from the referral service (``referral.viewed``) with the
referral it was: ``referral_id``. Supervisors ask "what did this person read", hence the
index by reader and time.

Revision ID: a7c3e5f19d42
Revises: c2e85f3b1d47
Create Date: 2026-12-03 05:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a7c3e5f19d42"
down_revision: str | None = "c2e85f3b1d47"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("case_reads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("referral_id", sa.String(length=26), nullable=True))
        batch_op.create_index("ix_case_reads_reader", ["reader_id", "read_at"])


def downgrade() -> None:
    with op.batch_alter_table("case_reads", schema=None) as batch_op:
        batch_op.drop_index("ix_case_reads_reader")
        batch_op.drop_column("referral_id")
