"""outbox: erased marks, and the index erasure finds a case's events by

``outbox.erased_at``: retention removed the personal fields of the event this row
holds (``shared/messaging/erasure.py``), so ``tsunagi check`` counts it as erased, not
lost, when no consumer applied it. ``ix_outbox_aggregate``: erasure finds the rows of a
case's aggregates without reading the whole outbox, which is kept forever. Plain
``ADD COLUMN`` and ``CREATE INDEX`` (no batch rebuild on SQLite).

Revision ID: 946362209763
Revises: d9f16a4c2e58
Create Date: 2026-12-03 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "946362209763"
down_revision: str | None = "d9f16a4c2e58"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_outbox_aggregate", "outbox", ["aggregate_id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_aggregate", table_name="outbox")
    op.execute("ALTER TABLE outbox DROP COLUMN erased_at")
