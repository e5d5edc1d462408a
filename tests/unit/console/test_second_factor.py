"""The second factor's rules (who must have one, what a code looks like, replayed codes)
and its adapters without I/O (the sealed secret, codes at a given time, the QR code)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from pydantic import ValidationError

from services.console.adapters import totp
from services.console.domain import second_factor as rules
from services.console.domain.accounts import Grant
from services.console.handlers.samples import SAMPLE_TOTP_SECRET, sample_code
from shared.settings import Settings

pytestmark = pytest.mark.unit
AT = datetime(2026, 12, 3, 1, 0, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("grants", "optional", "expected"),
    [
        ([Grant("supervisor", "city")], (), True),
        ([Grant("coordinator", "中部"), Grant("account_admin", "city")], (), True),
        ([Grant("coordinator", "中部")], (), False),
        ([Grant("coordinator", "中部")], ("coordinator",), True),
        ([Grant("agency", "hc-3")], ("coordinator",), False),
        ([Grant("agency", "hc-3")], ("agency",), True),
        ([Grant("reporter", "vol-1", "民生委員・児童委員")], ("coordinator", "agency", "reporter"), False),
    ],
)
def test_who_must_have_a_second_factor(grants: list[Grant], optional: tuple[str, ...], expected: bool) -> None:
    assert rules.required(grants, optional) is expected


def test_reporters_may_not_enrol_staff_may() -> None:
    assert not rules.may_enrol([Grant("reporter", "vol-1", "民生委員・児童委員")])
    assert rules.may_enrol([Grant("agency", "hc-3")])


def test_the_settings_refuse_reporters_and_unknown_roles() -> None:
    assert Settings(console_second_factor_roles="coordinator, agency").second_factor_roles == ("coordinator", "agency")
    for roles in ("reporter", "coordinator,staff"):
        with pytest.raises(ValidationError, match="SECOND_FACTOR_ROLES"):
            Settings(console_second_factor_roles=roles)


def test_codes_as_typed() -> None:
    assert rules.is_totp_code(" 123 456 ")
    assert not rules.is_totp_code("12345") and not rules.is_totp_code("12345a")
    assert rules.is_recovery_code("ABCDE-FGHJK") and rules.is_recovery_code("abcdefghjk")
    assert not rules.is_recovery_code("abcde-fghj0")  # 0 is not in the alphabet
    assert rules.shown("abcdefghjk") == "abcde-fghjk"


@pytest.mark.parametrize(
    ("step", "last", "fresh"),
    [(100, None, True), (101, 100, True), (100, 100, False), (99, 100, False), (98, 100, False), (10, 100, True)],
)
def test_a_code_already_used_is_refused(step: int, last: int | None, fresh: bool) -> None:
    assert rules.is_fresh(step, last) is fresh


def test_the_secret_is_sealed_and_opens_only_with_the_same_key() -> None:
    box = totp.SecretBox("a-secret-key-of-the-settings-0123456789")
    sealed = box.seal("JBSWY3DPEHPK3PXP")
    assert "JBSWY3DPEHPK3PXP" not in sealed
    assert box.open(sealed) == "JBSWY3DPEHPK3PXP"
    assert totp.SecretBox("another-key-of-the-settings-0123456789").open(sealed) is None


def test_a_code_matches_its_step_and_the_ones_beside_it() -> None:
    secret = totp.new_secret()
    tp = pyotp.TOTP(secret)
    step = tp.timecode(AT)
    assert totp.matching_step(secret, tp.at(AT), AT) == step
    assert totp.matching_step(secret, tp.at(AT - timedelta(seconds=30)), AT) == step - 1
    assert totp.matching_step(secret, tp.at(AT + timedelta(seconds=30)), AT) == step + 1
    assert totp.matching_step(secret, tp.at(AT + timedelta(seconds=90)), AT) is None


def test_the_sample_code_is_the_published_keys() -> None:
    assert sample_code(AT) == pyotp.TOTP(SAMPLE_TOTP_SECRET).at(AT)
    assert sample_code(AT, 1) == pyotp.TOTP(SAMPLE_TOTP_SECRET).at(AT + timedelta(seconds=30))


def test_the_qr_code_is_plain_svg_without_script_or_style() -> None:
    svg = totp.qr_svg(totp.provisioning_uri(totp.new_secret(), "sv-1"))
    assert svg.startswith("<svg") and "<title>" in svg
    assert "script" not in svg and "style=" not in svg


def test_ten_distinct_recovery_codes() -> None:
    codes = totp.new_recovery_codes()
    assert len(set(codes)) == 10 and all(rules.is_recovery_code(c) for c in codes)
