"""the case's own times: intake's receipt, first assignment, first triage, and the
decision its coordinator owes once every referral has ended

Plain ``ALTER TABLE … ADD COLUMN`` (no batch rebuild, so the timeline's append-only
triggers stay). Existing cases: received at their opening (what was known), assigned and
triaged at their first ``case.assigned`` / ``case.triaged`` on the timeline. Run
``tsunagi figures rebuild`` afterwards to keep the closed months' new durations.

Revision ID: c4e7a1d9f052
Revises: c8e1f4a2d7b3
Create Date: 2026-12-03 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c4e7a1d9f052"
down_revision: str | None = "c8e1f4a2d7b3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("received_at", "assigned_at", "triaged_at", "decision_needed_at")


def upgrade() -> None:
    for name in COLUMNS:
        op.add_column("cases", sa.Column(name, sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE cases SET received_at = opened_at")
    for column, event_type in (("assigned_at", "case.assigned"), ("triaged_at", "case.triaged")):
        op.execute(
            f"UPDATE cases SET {column} = (SELECT MIN(t.occurred_at) FROM timeline t "
            f"WHERE t.case_id = cases.id AND t.type = '{event_type}')"
        )


def downgrade() -> None:
    for name in reversed(COLUMNS):
        op.drop_column("cases", name)
