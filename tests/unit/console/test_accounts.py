"""Grants against the reference data, account ids and passwords, the sign-in rules."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.console.domain.accounts import (
    Grant,
    check_account_id,
    check_grant,
    check_password,
    grant_label,
)
from services.console.domain.signin import LockoutPolicy, is_idle, is_locked, minutes_left
from services.console.handlers.samples import sample_accounts
from shared.clock import utcnow
from shared.errors import InvalidInput
from shared.reference import load_reference_data
from shared.settings import PROJECT_ROOT

REFERENCE = load_reference_data(PROJECT_ROOT / "reference")


def _refused(account_id: str, grant: Grant) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        check_grant(account_id, grant, REFERENCE)
    return info.value


def test_a_coordinator_grant_must_match_the_reference_data() -> None:
    assert check_grant("csw-chubu-1", Grant("coordinator", "中部"), REFERENCE) == Grant("coordinator", "中部")
    assert check_grant("csw-chubu-1", Grant("coordinator", "市全域"), REFERENCE).scope == "市全域"
    wrong_area = _refused("csw-chubu-1", Grant("coordinator", "南部"))
    assert wrong_area.field == "scope" and "中部の担当" in wrong_area.message
    assert _refused("csw-chubu-1", Grant("coordinator", "東部")).field == "scope"
    assert _refused("someone-else", Grant("coordinator", "中部")).field == "account_id"


def test_agency_supervisor_reporter_and_admin_grants() -> None:
    assert check_grant("hc-3-staff", Grant("agency", "hc-3"), REFERENCE) == Grant("agency", "hc-3")
    assert "登録されていません" in _refused("x-staff", Grant("agency", "no-such-agency")).message
    assert check_grant("sv-1", Grant("supervisor", "city"), REFERENCE) == Grant("supervisor", "city")
    assert _refused("sv-1", Grant("supervisor", "中部")).field == "scope"
    reporter = check_grant("vol-9", Grant("reporter", "", "民生委員・児童委員"), REFERENCE)
    assert reporter == Grant("reporter", "vol-9", "民生委員・児童委員")  # a reporter acts as themself
    assert _refused("vol-9", Grant("reporter", "", "宇宙人")).field == "kind"
    assert _refused("x", Grant("admin", "city")).field == "role"
    assert grant_label(Grant("agency", "hc-3"), REFERENCE).startswith("関係機関(サンプル")


def test_account_ids_and_passwords() -> None:
    assert check_account_id("csw-chubu-1") == "csw-chubu-1"
    for bad in ("", "A", "Upper", "a b", "-lead", "x" * 65, "名前"):
        with pytest.raises(InvalidInput):
            check_account_id(bad)
    assert check_password("long-enough-1", "vol-1")
    for bad in ("short", "x" * 129, "csw-chubu-1"):
        with pytest.raises(InvalidInput):
            check_password(bad, "csw-chubu-1")


def test_failures_slow_down_then_lock() -> None:
    now = utcnow()
    policy = LockoutPolicy(attempts=3, lock_for=timedelta(minutes=15))
    assert policy.after_failure(0, now) == (1, None)
    assert policy.after_failure(1, now) == (2, None)
    failures, until = policy.after_failure(2, now)
    assert failures == 3 and until == now + timedelta(minutes=15)
    assert is_locked(until, now) and not is_locked(until, until) and not is_locked(None, now)
    assert minutes_left(now + timedelta(seconds=61), now) == 2
    assert [policy.delay(n) for n in (1, 2, 3, 4, 10)] == [0.25, 0.5, 1.0, 2.0, 4.0]


def test_idle_sessions() -> None:
    now = utcnow()
    assert is_idle(now - timedelta(minutes=30), now, timedelta(minutes=30))
    assert not is_idle(now - timedelta(minutes=29), now, timedelta(minutes=30))


def test_sample_accounts_follow_the_reference_data() -> None:
    accounts = {a.account_id: a for a in sample_accounts(REFERENCE)}
    for coordinator in REFERENCE.coordinators:
        assert Grant("coordinator", coordinator.area) in accounts[coordinator.id].grants
    assert "hc-3-staff" in accounts and "sv-1" in accounts and "vol-1" in accounts
    assert len(accounts["csw-chubu-2"].grants) == 2  # a person with two grants chooses one
    for account in accounts.values():
        for grant in account.grants:
            check_grant(account.account_id, grant, REFERENCE)


def test_a_helper_grant_names_a_daily_life_area_and_a_helper_kind() -> None:
    helper = check_grant("hotnet-9", Grant("helper", "中部", "ほっとネット推進員"), REFERENCE)
    assert helper == Grant("helper", "中部", "ほっとネット推進員")
    assert grant_label(helper, REFERENCE) == "地域の支援者(ほっとネット推進員・中部)"
    assert _refused("hotnet-9", Grant("helper", "市全域", "ほっとネット推進員")).field == "scope"
    assert _refused("hotnet-9", Grant("helper", "東部", "ほっとネット推進員")).field == "scope"
    # A reporter kind that is not a helper kind (reporters.yaml helper_kinds).
    assert _refused("hotnet-9", Grant("helper", "中部", "本人")).field == "kind"
    assert _refused("hotnet-9", Grant("helper", "中部")).field == "kind"


def test_a_sample_helper_raises_consultations_and_takes_on_tasks() -> None:
    accounts = {a.account_id: a for a in sample_accounts(REFERENCE)}
    assert {g.role for g in accounts["sample-helper-1"].grants} == {"reporter", "helper"}
