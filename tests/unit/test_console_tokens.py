"""Tokens the console signs (EdDSA) and the services verify with its public key only;
development-key tokens outside production only; what the console revoked is refused."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.access import AccessRegistry
from shared.clock import Clock, FrozenClock, set_clock_offset, utcnow
from shared.http.errors import Problem
from shared.identity import TokenVerifier, issue_console_token, issue_token
from shared.settings import Settings
from shared.signing import ensure_key_pair, generate_key_pair, load_signing_key, load_verify_key

NOW = utcnow()


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    return Settings(mode="test", data_dir=tmp_path, **overrides)  # type: ignore[arg-type]


def _token(
    key: Ed25519PrivateKey,
    *,
    sid: str = "01SESSION0000000000000000A",
    ttl: int = 300,
    role: str = "coordinator",
    scope: str = "中部",
    subject: str = "csw-chubu-1",
) -> str:
    return issue_console_token(
        key, subject=subject, role=role, scope=scope, session_id=sid, now=NOW, ttl=timedelta(seconds=ttl)
    )


def _refusal(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(Problem) as info:
        verifier.read(token)
    assert info.value.status == 401
    return info.value.detail


def test_a_console_token_is_verified_with_the_public_key_only(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    assert ensure_key_pair(settings) and not ensure_key_pair(settings)
    key = load_signing_key(settings)
    verifier = TokenVerifier(settings, clock=FrozenClock(NOW))
    identity = verifier.read(_token(key))
    assert (identity.subject, identity.role, identity.scope, identity.session_id) == (
        "csw-chubu-1",
        "coordinator",
        "中部",
        "01SESSION0000000000000000A",
    )
    # Signed by another key (a service cannot mint one: it has no private key).
    assert _refusal(verifier, _token(Ed25519PrivateKey.generate())) == "トークンが無効です。"


def test_console_tokens_expire_on_the_shared_clock_and_live_minutes_only(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    ensure_key_pair(settings)
    key = load_signing_key(settings)
    later = TokenVerifier(settings, clock=FrozenClock(NOW + timedelta(seconds=301)))
    assert "有効期限" in _refusal(later, _token(key))
    assert "長すぎ" in _refusal(TokenVerifier(settings, clock=FrozenClock(NOW)), _token(key, ttl=2 * 3600))
    early = TokenVerifier(settings, clock=FrozenClock(NOW - timedelta(hours=1)))
    assert "未来" in _refusal(early, _token(key))


def test_the_clock_file_moves_every_reader(tmp_path: Path) -> None:
    offset = tmp_path / "clock"
    clock = Clock(offset)
    assert abs((clock.now() - utcnow()).total_seconds()) < 1
    set_clock_offset(offset, 3600)
    clock._checked = float("-inf")
    assert 3599 < (clock.now() - utcnow()).total_seconds() < 3601
    with pytest.raises(ValueError, match="test mode"):
        Settings(mode="embedded", clock_file=offset)


def test_development_tokens_are_refused_in_production(tmp_path: Path) -> None:
    dev = Settings(mode="test", data_dir=tmp_path)
    token = issue_token(dev, role="supervisor", scope="city", subject="sv-1")
    assert TokenVerifier(dev).read(token).subject == "sv-1"
    ensure_key_pair(dev)
    production = Settings(
        mode="production", data_dir=tmp_path, secret_key="s" * 40, match_key="m" * 40, timeline_key="t" * 40
    )
    assert "本番環境" in _refusal(TokenVerifier(production), token)


def test_production_needs_the_console_public_key(tmp_path: Path) -> None:
    production = Settings(
        mode="production", data_dir=tmp_path, secret_key="s" * 40, match_key="m" * 40, timeline_key="t" * 40
    )
    with pytest.raises(RuntimeError, match="TSUNAGI_CONSOLE_VERIFY_KEY_FILE"):
        load_verify_key(production)


def test_revoked_sessions_disabled_accounts_and_taken_grants_are_refused(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    ensure_key_pair(settings)
    key = load_signing_key(settings)
    access = AccessRegistry()
    verifier = TokenVerifier(settings, clock=FrozenClock(NOW), access=access)
    access._ended = frozenset({"01ENDED000000000000000000A"})
    access._disabled = frozenset({"csw-gone"})
    access._grants = {"csw-chubu-1": frozenset({("coordinator", "中部")})}
    assert verifier.read(_token(key)).subject == "csw-chubu-1"
    assert "セッションは終了" in _refusal(verifier, _token(key, sid="01ENDED000000000000000000A"))
    assert "利用停止" in _refusal(verifier, _token(key, subject="csw-gone"))
    assert "取り消され" in _refusal(verifier, _token(key, scope="南部"))
    # A development-key token of a disabled account is refused as well.
    assert "利用停止" in _refusal(
        verifier, issue_token(settings, role="coordinator", scope="中部", subject="csw-gone", now=NOW)
    )


def test_a_new_key_pair_is_written_whole(tmp_path: Path) -> None:
    # Each file written beside and renamed: a service starting meanwhile never reads half a key.
    signing, verify = tmp_path / "keys" / "signing.pem", tmp_path / "keys" / "verify.pem"
    generate_key_pair(signing, verify)
    assert sorted(p.name for p in (tmp_path / "keys").iterdir()) == ["signing.pem", "verify.pem"]
    assert signing.stat().st_mode & 0o777 == 0o600
    assert verify.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
