"""retention: when a case's personal fields were erased, and which timeline entries

``cases.erased_at`` keeps a case from being erased twice; ``timeline.erased_at`` marks
an entry whose summary retention erased, the one case in which verification accepts a
content hash that no longer matches the row. Plain ``ALTER TABLE … ADD COLUMN`` (no
batch rebuild on SQLite, which would drop the timeline's append-only triggers).

Revision ID: e4b7d2a9c615
Revises: 43fcc742e839
Create Date: 2026-12-03 06:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e4b7d2a9c615"
down_revision: str | None = "43fcc742e839"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("cases", "timeline")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        # ALTER TABLE … DROP COLUMN on both (SQLite ≥ 3.35): no rebuild, the triggers stay.
        op.execute(f"ALTER TABLE {table} DROP COLUMN erased_at")
