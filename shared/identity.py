"""Identity: every HTTP request carries a signed bearer token with a role, a scope and
a subject (the person).

- reporter: scope = the reporter's id (sees the status of what they submitted)
- coordinator: scope = their daily-life area (sees their area's cases)
- agency: scope = the agency's id (sees only the referrals addressed to it)
- supervisor: scope = "city" (reads everything; every case read is recorded)

Tokens come from the console, which signs them with its private key (EdDSA) for the
signed-in person's session (``sid``) and for minutes only; the services verify them with
the console's public key and refuse what the console has since revoked (``access.py``).
Outside production, tokens signed with the shared development key are accepted too
(``tsunagi token``, for operators' curl and for tests)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict

from shared.access import AccessRegistry
from shared.clock import Clock, utcnow
from shared.events.envelope import Actor
from shared.http.errors import Problem
from shared.settings import Settings
from shared.signing import key_id, load_verify_key

UserRole = Literal["reporter", "coordinator", "agency", "supervisor"]
ROLES: tuple[str, ...] = UserRole.__args__  # type: ignore[attr-defined]
ALGORITHM = "HS256"
CONSOLE_ALGORITHM = "EdDSA"
CONSOLE_ISSUER = "tsunagi-console"
AUDIENCE = "tsunagi"
# A console token lives minutes; one claiming more than this was not made by the console.
MAX_CONSOLE_TOKEN_LIFETIME = timedelta(hours=1)
# Processes share a clock, but not to the millisecond.
CLOCK_SKEW = timedelta(seconds=30)


class Identity(BaseModel):
    model_config = ConfigDict(frozen=True)

    subject: str
    role: UserRole
    scope: str
    # The console session the token belongs to (None: a development-key token).
    session_id: str | None = None

    @property
    def actor(self) -> Actor:
        return Actor(role=self.role, id=self.subject)


def issue_token(
    settings: Settings,
    *,
    role: str,
    scope: str,
    subject: str | None = None,
    ttl: timedelta | None = None,
    now: datetime | None = None,
) -> str:
    """A development-key token (embedded and test mode; production refuses them)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if not scope:
        raise ValueError("scope must not be empty")
    now = now or utcnow()
    claims = {
        "sub": subject or f"{role}:{scope}",
        "role": role,
        "scope": scope,
        "iat": int(now.timestamp()),
        "exp": int((now + (ttl or timedelta(hours=settings.token_ttl_hours))).timestamp()),
    }
    return jwt.encode(claims, settings.secret_key.get_secret_value(), algorithm=ALGORITHM)


def issue_console_token(
    key: Ed25519PrivateKey, *, subject: str, role: str, scope: str, session_id: str, now: datetime, ttl: timedelta
) -> str:
    """A token the console hands out for one signed-in person's session and grant."""
    claims = {
        "iss": CONSOLE_ISSUER,
        "aud": AUDIENCE,
        "sub": subject,
        "role": role,
        "scope": scope,
        "sid": session_id,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    return jwt.encode(claims, key, algorithm=CONSOLE_ALGORITHM, headers={"kid": key_id(key.public_key())})


def _unauthorized(detail: str) -> Problem:
    return Problem(401, "認証エラー", detail, type_="unauthorized", headers={"WWW-Authenticate": "Bearer"})


class TokenVerifier:
    """Turns a bearer token into an ``Identity``, or a 401 that says why in Japanese."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        access: AccessRegistry | None = None,
        verify_key: Ed25519PublicKey | None | Literal["from-settings"] = "from-settings",
    ) -> None:
        self.settings = settings
        self.clock = clock or Clock.from_settings(settings)
        self.access = access
        self._from_settings = verify_key == "from-settings"
        self.verify_key = load_verify_key(settings) if verify_key == "from-settings" else verify_key

    def read(self, token: str) -> Identity:
        try:
            algorithm = jwt.get_unverified_header(token).get("alg")
        except jwt.InvalidTokenError as exc:
            raise _unauthorized("トークンが無効です。") from exc
        if algorithm == CONSOLE_ALGORITHM:
            claims = self._console_claims(token)
            # Minted on the clock the processes share (a test system may run ahead of the machine).
            self._check_times(claims, self.clock.now())
        elif algorithm == ALGORITHM:
            claims = self._development_claims(token)
            # Minted on the machine's clock by `tsunagi token` and tests.
            self._check_times(claims, utcnow())
        else:
            raise _unauthorized("トークンが無効です。")
        try:
            identity = Identity(
                subject=claims["sub"], role=claims["role"], scope=claims["scope"], session_id=claims.get("sid")
            )
        except ValueError as exc:
            raise _unauthorized("トークンが無効です。") from exc
        refusal = (
            self.access.refusal(
                subject=identity.subject, role=identity.role, scope=identity.scope, session_id=identity.session_id
            )
            if self.access
            else None
        )
        if refusal:
            raise _unauthorized(refusal)
        return identity

    def _console_claims(self, token: str) -> dict[str, Any]:
        if self.verify_key is None and self._from_settings:
            # Outside production a service may start before the console has made its keys.
            self.verify_key = load_verify_key(self.settings)
        if self.verify_key is None:
            raise _unauthorized("コンソールの公開鍵が設定されていないため、このトークンを確認できません。")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self.verify_key,
                algorithms=[CONSOLE_ALGORITHM],
                audience=AUDIENCE,
                issuer=CONSOLE_ISSUER,
                options={
                    "require": ["sub", "exp", "iat", "role", "scope", "sid"],
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.InvalidTokenError as exc:
            raise _unauthorized("トークンが無効です。") from exc
        if int(claims["exp"]) - int(claims["iat"]) > MAX_CONSOLE_TOKEN_LIFETIME.total_seconds():
            raise _unauthorized("トークンの有効期間が長すぎます。")
        return claims

    def _development_claims(self, token: str) -> dict[str, Any]:
        if self.settings.mode == "production":
            raise _unauthorized(
                "開発用の鍵で署名されたトークンは本番環境では使えません。コンソールからサインインしてください。"
            )
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self.settings.secret_key.get_secret_value(),
                algorithms=[ALGORITHM],
                options={
                    "require": ["sub", "exp", "role", "scope"],
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.InvalidTokenError as exc:
            raise _unauthorized("トークンが無効です。") from exc
        return claims

    @staticmethod
    def _check_times(claims: dict[str, Any], at: datetime) -> None:
        now = at.timestamp()
        try:
            expires, issued = float(claims["exp"]), float(claims.get("iat", now))
        except (TypeError, ValueError) as exc:
            raise _unauthorized("トークンが無効です。") from exc
        if expires <= now:
            raise _unauthorized("トークンの有効期限が切れています。")
        if issued > now + CLOCK_SKEW.total_seconds():
            raise _unauthorized("トークンの発行時刻が未来になっています。")


def read_token(settings: Settings, token: str) -> Identity:
    """A token read without revocation checks (the command line, tests)."""
    return TokenVerifier(settings).read(token)


async def current_identity(request: Request) -> Identity:
    # async: a sync dependency would cost a thread-pool hop on every request.
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized("Authorization: Bearer トークンが必要です。")
    verifier: TokenVerifier = request.app.state.tokens
    return verifier.read(token.strip())


CurrentIdentity = Annotated[Identity, Depends(current_identity)]


def require_role(identity: Identity, *roles: str) -> None:
    if identity.role not in roles:
        raise Problem(
            403,
            "権限がありません",
            f"この操作は {'・'.join(roles)} のみ行えます(あなたのロール: {identity.role})。",
            type_="forbidden",
        )
