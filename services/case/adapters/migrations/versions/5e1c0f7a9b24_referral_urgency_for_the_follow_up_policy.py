"""referral urgency for the follow-up policy

The urgency a referral was requested with, so that "accepted within the deadline" is
judged against the follow-up policy's decide span for the agency's kind and that
urgency (reference/followups.yaml) instead of a fixed 3 business days. Referrals made
before this revision take their case's present priority (the urgency they were sent
with, unless the case's priority was raised since).

Revision ID: 5e1c0f7a9b24
Revises: 641a408c726f
Create Date: 2026-12-09 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e1c0f7a9b24"
down_revision: str | None = "641a408c726f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("urgency", sa.String(length=4), nullable=True))
    referrals = sa.table("referrals", sa.column("case_id", sa.String), sa.column("urgency", sa.String))
    cases = sa.table("cases", sa.column("id", sa.String), sa.column("priority", sa.String))
    op.execute(
        referrals.update()
        .where(referrals.c.urgency.is_(None))
        .values(urgency=sa.select(cases.c.priority).where(cases.c.id == referrals.c.case_id).scalar_subquery())
    )


def downgrade() -> None:
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_column("urgency")
