"""a meeting's share about one household member

``conference_disclosures.member_id``: the member a share is about (None: the case's
person); the row's ``consent`` is then the member's own.

Revision ID: e3b7c9d1a5f2
Revises: d8a4c1e6f2b7
Create Date: 2026-12-03 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e3b7c9d1a5f2"
down_revision: str | None = "d8a4c1e6f2b7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conference_disclosures") as batch:
        batch.add_column(sa.Column("member_id", sa.String(length=26), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conference_disclosures") as batch:
        batch.drop_column("member_id")
