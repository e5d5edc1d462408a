"""The one rule for agencies: the shared personal fields end with a refusal or failure,
and some days after completion; everything else keeps them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.referral.domain.access import personal_fields_closed
from services.referral.domain.lifecycle import Status

NOW = datetime(2026, 12, 2, 3, tzinfo=UTC)


@pytest.mark.parametrize("status", [Status.DECLINED, Status.CANCELLED, Status.FAILED])
def test_a_refused_cancelled_or_failed_referral_closes_them_at_once(status: Status) -> None:
    assert personal_fields_closed(status, NOW, NOW, 30)


@pytest.mark.parametrize(
    "status",
    [Status.RECEIVED, Status.ACKNOWLEDGED, Status.ACCEPTED, Status.IN_PROGRESS, Status.ON_HOLD, Status.REQUESTED],
)
def test_open_referrals_keep_them(status: Status) -> None:
    assert personal_fields_closed(status, None, NOW, 30) is None


def test_a_completed_referral_keeps_them_for_the_days_the_reference_data_gives() -> None:
    completed = NOW - timedelta(days=29, hours=23)
    assert personal_fields_closed(Status.COMPLETED, completed, NOW, 30) is None
    assert "30日" in personal_fields_closed(Status.COMPLETED, NOW - timedelta(days=30), NOW, 30)
    assert personal_fields_closed(Status.COMPLETED, NOW, NOW, 0)
