"""watch check-ins (見守り) on the follow-up ladder

A follow-up timer now chases a referral's step or a watch plan's check-in
(``subject``; for a watch, ``referral_id`` holds the plan and ``agency_id`` the
watcher, of ``watcher_kind``). Plain ``ADD COLUMN``: existing timers are referrals'.

Revision ID: f2c6a9d1e847
Revises: 784848b9e8bd
Create Date: 2026-12-03 08:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f2c6a9d1e847"
down_revision: str | None = "784848b9e8bd"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("followups", sa.Column("subject", sa.String(length=12), nullable=False, server_default="referral"))
    op.add_column("followups", sa.Column("watcher_kind", sa.String(length=12), nullable=True))


def downgrade() -> None:
    op.drop_column("followups", "watcher_kind")
    op.drop_column("followups", "subject")
