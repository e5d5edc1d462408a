"""activities (活動) and missed check-ins for the figures

``activities``: outreach, accompaniment, visits, calls and meetings, on a case or for an
area. ``watch_missed``: one row per check-in timer notify fired, filled from the
``followup.fired`` entries already on the timelines (each names its plan). An index on
``watch_checkins.checked_at`` lets the figures count a period's check-ins.

Revision ID: d8a4c1e6f2b7
Revises: c4e8a1f7d2b6
Create Date: 2026-12-03 11:00:00
"""

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "d8a4c1e6f2b7"
down_revision: str | None = "c4e8a1f7d2b6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _at(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "activities",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("case_id", sa.String(length=26), nullable=True),
        sa.Column("area", sa.String(length=40), nullable=False),
        sa.Column("school_district", sa.String(length=40), nullable=True),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("outcome_kind", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("account_ids", sa.JSON(), nullable=False),
        sa.Column("agency_ids", sa.JSON(), nullable=False),
        sa.Column("residents", sa.Integer(), nullable=False),
        _at("happened_at", False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        _at("recorded_at", False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_activities_case_id", "activities", ["case_id"])
    op.create_index("ix_activities_happened_at", "activities", ["happened_at"])
    op.create_index("ix_activities_area_happened_at", "activities", ["area", "happened_at"])
    op.create_table(
        "watch_missed",
        sa.Column("followup_id", sa.String(length=26), nullable=False),
        sa.Column("plan_id", sa.String(length=26), nullable=False),
        sa.Column("case_id", sa.String(length=26), nullable=False),
        _at("due_at", False),
        _at("fired_at", False),
        sa.PrimaryKeyConstraint("followup_id"),
    )
    op.create_index("ix_watch_missed_case_id", "watch_missed", ["case_id"])
    op.create_index("ix_watch_missed_due_at", "watch_missed", ["due_at"])
    op.create_index("ix_watch_checkins_checked_at", "watch_checkins", ["checked_at"])
    _missed_from_timelines()


def _missed_from_timelines() -> None:
    """The check-in timers already fired, from their timeline entries (the first rung of each)."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT case_id, occurred_at, summary FROM timeline WHERE type = 'followup.fired' ORDER BY event_id")
    ).all()
    missed: dict[str, dict[str, Any]] = {}
    for row in rows:
        case_id, occurred_at, summary = row[0], row[1], row[2]
        fired: dict[str, Any] = json.loads(summary) if isinstance(summary, str) else dict(summary)
        if not fired.get("plan_id") or fired.get("followup_id") in missed or fired.get("erased_at"):
            continue
        due = datetime.fromisoformat(fired["overdue_since"])
        fired_at = occurred_at if isinstance(occurred_at, datetime) else datetime.fromisoformat(str(occurred_at))
        missed[fired["followup_id"]] = {
            "followup_id": fired["followup_id"],
            "plan_id": fired["plan_id"],
            "case_id": case_id,
            "due_at": due if due.tzinfo else due.replace(tzinfo=UTC),
            "fired_at": fired_at if fired_at.tzinfo else fired_at.replace(tzinfo=UTC),
        }
    if missed:
        table = sa.table(
            "watch_missed",
            *(sa.column(c) for c in ("followup_id", "plan_id", "case_id")),
            sa.column("due_at", sa.DateTime(timezone=True)),
            sa.column("fired_at", sa.DateTime(timezone=True)),
        )
        op.bulk_insert(table, list(missed.values()))


def downgrade() -> None:
    op.drop_index("ix_watch_checkins_checked_at", table_name="watch_checkins")
    op.drop_table("watch_missed")
    op.drop_table("activities")
