"""a case's reads by time, from an index

``ix_case_reads_case_read_at``: a case's reads in (read_at, id) order, so a page of them —
oldest first, or newest first as the case audit shows them — is read from the index and
stops at the page's end instead of sorting every read of the case. It replaces
``ix_case_reads_case_id``, which is its prefix. Plain CREATE INDEX (no rebuild: the read
log's append-only triggers stay).

Revision ID: 4fe321605e37
Revises: a2c5e8f1b4d7
Create Date: 2026-12-03 15:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "4fe321605e37"
down_revision: str | None = "a2c5e8f1b4d7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_case_reads_case_read_at", "case_reads", ["case_id", "read_at", "id"])
    op.drop_index("ix_case_reads_case_id", table_name="case_reads")


def downgrade() -> None:
    op.create_index("ix_case_reads_case_id", "case_reads", ["case_id"])
    op.drop_index("ix_case_reads_case_read_at", table_name="case_reads")
