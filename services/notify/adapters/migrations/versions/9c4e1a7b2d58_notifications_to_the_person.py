"""notifications to the person responsible: the case's assigned coordinator

Revision ID: 9c4e1a7b2d58
Revises: 0a39f73ae155
Create Date: 2026-12-03 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9c4e1a7b2d58"
down_revision: str | None = "0a39f73ae155"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("coordinator_id", sa.String(length=64), nullable=True))
    op.add_column("cases", sa.Column("assigned_area", sa.String(length=40), nullable=True))
    op.add_column("cases", sa.Column("assignment_event_id", sa.String(length=64), nullable=True))
    op.add_column("notifications", sa.Column("recipient_person", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("notifications", "recipient_person")
    op.drop_column("cases", "assignment_event_id")
    op.drop_column("cases", "assigned_area")
    op.drop_column("cases", "coordinator_id")
