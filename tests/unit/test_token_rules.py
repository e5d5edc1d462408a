"""The token rules (shared/token_rules.py), one row per rule: a token's lifetime, its
subject, its role and scope against the reference data, and its subject against the
accounts the service knows — for the console's tokens and the development key's alike —
and ``tsunagi token``, which refuses what the services refuse."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import jwt
import pytest

from shared.access import AccessRegistry
from shared.cli.main import main
from shared.clock import FrozenClock, utcnow
from shared.http.errors import Problem
from shared.identity import TokenVerifier, issue_console_token, issue_token, mint_checked_token
from shared.reference import load_reference_data
from shared.settings import PROJECT_ROOT, Settings
from shared.signing import ensure_key_pair, load_signing_key
from shared.token_rules import scope_refusal

NOW = utcnow()
SID = "01SESSION0000000000000000A"

# The accounts the service learned from the console (account.* events).
ACCOUNTS = {
    "csw-chubu-1": frozenset({("coordinator", "中部")}),
    "csw-chubu-2": frozenset({("coordinator", "中部"), ("coordinator", "市全域")}),
    "hc-3-staff": frozenset({("agency", "hc-3")}),
    "sv-1": frozenset({("supervisor", "city")}),
    "vol-1": frozenset({("reporter", "vol-1")}),
}

# (role, scope, subject) → None (accepted) or a fragment of the Japanese refusal. The same
# table holds for development-key tokens and console tokens unless the row says otherwise.
CASES: list[tuple[str, str, str, str | None]] = [
    # The subject is required.
    ("coordinator", "中部", "", "利用者(sub)がありません"),
    ("coordinator", "中部", "   ", "利用者(sub)がありません"),
    ("coordinator", "中部", "csw\x00chubu", "利用者(sub)が不正"),
    ("coordinator", "中部", "x" * 129, "利用者(sub)が不正"),
    # Coordinator: a known area (or 市全域), and a listed coordinator's own area only.
    ("coordinator", "中部", "csw-chubu-1", None),
    ("coordinator", "市全域", "csw-chubu-2", None),
    ("coordinator", "", "csw-chubu-1", "圏域(geography.yaml)にありません"),
    ("coordinator", "*", "csw-chubu-1", "圏域(geography.yaml)にありません"),
    ("coordinator", "東部", "csw-chubu-1", "圏域(geography.yaml)にありません"),
    ("coordinator", "南部", "csw-chubu-1", "権限"),  # a known account without that grant
    ("coordinator", "南部", "csw-nanbu-1", None),  # listed for 南部, no account (yet)
    ("coordinator", "中部", "csw-nanbu-1", "参照データでは南部の担当"),  # listed elsewhere
    ("coordinator", "西部", "coordinator:西部", None),  # synthetic: no account, not listed
    # Agency: an agency of agencies.yaml.
    ("agency", "hc-3", "hc-3-staff", None),
    ("agency", "hc-99", "hc-3-staff", "機関名簿(agencies.yaml)にありません"),
    ("agency", "", "someone", "機関名簿(agencies.yaml)にありません"),
    ("agency", "hc-1", "hc-3-staff", "権限"),
    ("agency", "hc-1", "agency:hc-1", None),
    # Supervisor: exactly city.
    ("supervisor", "city", "sv-1", None),
    ("supervisor", "中部", "sv-1", "「city」だけ"),
    ("supervisor", "*", "sv-9", "「city」だけ"),
    ("supervisor", "city", "hc-3-staff", "権限"),  # an agency's account is no supervisor
    # Reporter: the scope is the reporter's own id, the subject.
    ("reporter", "vol-1", "vol-1", None),
    ("reporter", "vol-2", "vol-1", "利用者ID(sub)と同じ"),
    ("reporter", "vol-1", "reporter:vol-1", "利用者ID(sub)と同じ"),
    ("reporter", "vol-7", "vol-7", None),
    ("reporter", "sv-1", "sv-1", "権限"),  # a known account without a reporter grant
]


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    return Settings(mode="test", data_dir=tmp_path, **overrides)  # type: ignore[arg-type]


def _verifier(settings: Settings, *, disabled: frozenset[str] = frozenset()) -> TokenVerifier:
    access = AccessRegistry()
    access._grants = dict(ACCOUNTS)
    access._disabled = disabled
    return TokenVerifier(settings, clock=FrozenClock(NOW), access=access)


def _outcome(verifier: TokenVerifier, token: str) -> str | None:
    try:
        verifier.read(token)
    except Problem as refused:
        assert refused.status == 401 and refused.headers == {"WWW-Authenticate": "Bearer"}
        return refused.detail
    return None


def _expect(outcome: str | None, expected: str | None) -> None:
    if expected is None:
        assert outcome is None, outcome
    else:
        assert outcome is not None and expected in outcome, outcome


@pytest.mark.parametrize(("role", "scope", "subject", "expected"), CASES)
def test_a_development_key_token(tmp_path: Path, role: str, scope: str, subject: str, expected: str | None) -> None:
    settings = _settings(tmp_path)
    token = issue_token(settings, role=role, scope=scope or "x", subject=subject or None)
    if not scope or not subject:  # issue_token refuses these itself; sign the bad claims by hand
        claims = jwt.decode(token, options={"verify_signature": False})
        claims.update(scope=scope, sub=subject)
        token = jwt.encode(claims, settings.secret_key.get_secret_value(), algorithm="HS256")
    _expect(_outcome(_verifier(settings), token), expected)


@pytest.mark.parametrize(("role", "scope", "subject", "expected"), CASES)
def test_a_console_token(tmp_path: Path, role: str, scope: str, subject: str, expected: str | None) -> None:
    settings = _settings(tmp_path)
    ensure_key_pair(settings)
    token = issue_console_token(
        load_signing_key(settings),
        subject=subject,
        role=role,
        scope=scope,
        session_id=SID,
        now=NOW,
        ttl=timedelta(seconds=300),
    )
    _expect(_outcome(_verifier(settings), token), expected)


LIFETIMES = [
    # (token_max_lifetime_s, the token's lifetime in seconds, expected)
    (3600, 300, None),
    (3600, 3600, None),
    (3600, 3601, "長すぎます(3600 秒まで)"),
    (3600, 100 * 365 * 86400, "長すぎます"),
    (600, 900, "長すぎます(600 秒まで)"),
]


@pytest.mark.parametrize(("limit", "lifetime", "expected"), LIFETIMES)
def test_every_token_has_a_maximum_lifetime(tmp_path: Path, limit: int, lifetime: int, expected: str | None) -> None:
    settings = _settings(tmp_path, token_max_lifetime_s=limit, console_token_ttl_s=min(300, limit))
    ensure_key_pair(settings)
    verifier = _verifier(settings)
    development = issue_token(
        settings, role="coordinator", scope="中部", subject="csw-chubu-1", ttl=timedelta(seconds=lifetime)
    )
    console = issue_console_token(
        load_signing_key(settings),
        subject="csw-chubu-1",
        role="coordinator",
        scope="中部",
        session_id=SID,
        now=NOW,
        ttl=timedelta(seconds=lifetime),
    )
    _expect(_outcome(verifier, development), expected)
    _expect(_outcome(verifier, console), expected)


def test_the_default_lifetime_is_well_under_a_day_and_the_console_stays_within_it(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    assert settings.token_max_lifetime_s <= 3600
    assert settings.console_token_ttl_s <= settings.token_max_lifetime_s
    with pytest.raises(ValueError, match="TOKEN_MAX_LIFETIME"):
        _settings(tmp_path, token_max_lifetime_s=600, console_token_ttl_s=900)
    with pytest.raises(ValueError):
        _settings(tmp_path, token_max_lifetime_s=86400)


def test_a_disabled_account_is_refused_whatever_the_key(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    verifier = _verifier(settings, disabled=frozenset({"csw-chubu-1"}))
    token = issue_token(settings, role="coordinator", scope="中部", subject="csw-chubu-1")
    _expect(_outcome(verifier, token), "利用停止")


@pytest.mark.parametrize(("role", "scope", "subject", "expected"), [c for c in CASES if c[1] and c[2].strip()])
def test_tsunagi_token_refuses_what_the_services_refuse(
    tmp_path: Path, role: str, scope: str, subject: str, expected: str | None
) -> None:
    settings = _settings(tmp_path)
    access = AccessRegistry()
    access._grants = dict(ACCOUNTS)
    if expected is None:
        assert (
            _outcome(
                _verifier(settings),
                mint_checked_token(settings, role=role, scope=scope, subject=subject, access=access),
            )
            is None
        )
    else:
        with pytest.raises(ValueError, match=re.escape(expected)):
            mint_checked_token(settings, role=role, scope=scope, subject=subject, access=access)


def test_the_token_command_prints_a_refusal_not_a_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TSUNAGI_MODE", "test")
    monkeypatch.setenv("TSUNAGI_DATA_DIR", str(tmp_path))
    assert main(["token", "--role", "coordinator", "--scope", "*"]) == 2
    assert "圏域(geography.yaml)にありません" in capsys.readouterr().err
    assert main(["token", "--role", "reporter", "--scope", "vol-1"]) == 0
    printed = capsys.readouterr().out.strip()
    assert TokenVerifier(_settings(tmp_path)).read(printed).subject == "vol-1"


def test_a_helper_token_names_a_daily_life_area() -> None:
    reference = load_reference_data(PROJECT_ROOT / "reference")
    assert scope_refusal(subject="hotnet-9", role="helper", scope="中部", reference=reference) is None
    for scope in ("市全域", "city", "hotnet-9"):
        assert scope_refusal(subject="hotnet-9", role="helper", scope=scope, reference=reference)
