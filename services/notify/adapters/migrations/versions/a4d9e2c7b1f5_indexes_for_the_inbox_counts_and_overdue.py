"""indexes for the inbox's counts (who a notification is for, a reader's reads, assigned cases) and the overdue list

``ix_notifications_person`` (role, scope, person, case, id): the inbox's entries are
counted from the index alone; ``ix_notification_reads_reader``: what one reader has read
(the unread count is the inbox less those); ``ix_cases_assigned`` (case, coordinator where
assigned): whether someone else has a case, read without the table;
``ix_followups_overdue`` (status, subject, due_at, id): a page of the overdue list walks
it in its order and stops, instead of sorting every pending timer joined to every referral.

Revision ID: a4d9e2c7b1f5
Revises: f2c6a9d1e847
Create Date: 2026-12-03 11:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a4d9e2c7b1f5"
down_revision: str | None = "f2c6a9d1e847"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ASSIGNED = "coordinator_id IS NOT NULL"


def upgrade() -> None:
    op.create_index(
        "ix_notifications_person",
        "notifications",
        ["recipient_role", "recipient_scope", "recipient_person", "case_id", "id"],
    )
    op.create_index("ix_notification_reads_reader", "notification_reads", ["reader", "notification_id"])
    op.create_index(
        "ix_cases_assigned",
        "cases",
        ["case_id", "coordinator_id"],
        postgresql_where=sa.text(ASSIGNED),
        sqlite_where=sa.text(ASSIGNED),
    )
    op.create_index("ix_followups_overdue", "followups", ["status", "subject", "due_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_followups_overdue", table_name="followups")
    op.drop_index("ix_cases_assigned", table_name="cases")
    op.drop_index("ix_notification_reads_reader", table_name="notification_reads")
    op.drop_index("ix_notifications_person", table_name="notifications")
