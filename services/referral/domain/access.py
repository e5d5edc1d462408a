"""Who sees a referral and who may move it. No I/O.

- an agency sees the referrals addressed to it (token scope = agency id) and makes
  the agency's moves on them;
- a coordinator sees the referrals of their daily-life area (scope = area) and may
  cancel them;
- a supervisor sees every referral and moves none;
- a reporter sees none.
A referral a caller cannot see does not exist for them (404), so its existence does
not leak; a caller who sees it but is not the party for a move gets 403."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.referral.domain.lifecycle import Party, Status


def can_see(role: str, scope: str, *, agency_id: str, area: str) -> bool:
    if role == "supervisor":
        return True
    if role == "agency":
        return scope == agency_id
    if role == "coordinator":
        return scope == area
    return False


def party_of(role: str, scope: str, *, agency_id: str, area: str) -> Party | None:
    """The party the caller acts as on this referral, if any."""
    if role == "agency" and scope == agency_id:
        return Party.AGENCY
    if role == "coordinator" and scope == area:
        return Party.COORDINATOR
    return None


def sees_everything_shared_and_withheld(role: str) -> bool:
    """Coordinators and supervisors see the full referral record; an agency sees
    only what was shared with it."""
    return role in ("coordinator", "supervisor")


def personal_fields_closed(
    status: str, closed_at: datetime | None, now: datetime, days_after_completion: int
) -> str | None:
    """Why the agency may no longer read the referral's personal fields (Japanese), or
    None while it may. The one rule: they end when the referral is declined, cancelled or
    failed, and ``days_after_completion`` days after it is completed; the outcome and the
    history stay visible."""
    if status == Status.DECLINED:
        return "辞退した依頼のため、個人に関わる項目は表示されません。"
    if status == Status.CANCELLED:
        return "取り消された依頼のため、個人に関わる項目は表示されません。"
    if status == Status.FAILED:
        return "不成立となった依頼のため、個人に関わる項目は表示されません。"
    if (
        status == Status.COMPLETED
        and closed_at is not None
        and now >= closed_at + timedelta(days=days_after_completion)
    ):
        return f"完了から{days_after_completion}日を過ぎたため、個人に関わる項目は表示されません。"
    return None
