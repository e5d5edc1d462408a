"""Which moves on a case need a supervisor's approval (``reference/approvals.yaml``):
the city's choice, loaded and validated with the rest of the reference data (so a
reload reloads it). The rules that read it are the case service's
(``services/case/domain/approvals.py``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    required: bool = True


class ReopenRule(_Rule):
    """Reopening a case closed at least ``after_days`` days ago."""

    after_days: int = Field(180, ge=1, le=3650)


class ApprovalPolicy(BaseModel):
    """One rule per move; a move the file leaves out needs approval (the safe side)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Personal fields shared on a legal ground without consent, not urgent (緊急 shares
    # at once and is reviewed afterwards).
    share_without_consent: _Rule = _Rule()
    # Closing a case with open referrals or a running watch plan.
    close_with_open_work: _Rule = _Rule()
    reopen_after_long: ReopenRule = ReopenRule()
    # Merging a case into one of another daily-life area.
    merge_across_areas: _Rule = _Rule()
