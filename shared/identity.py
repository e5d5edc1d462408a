"""Identity: every HTTP request carries a signed bearer token with a role, a scope and
a subject (the person).

- reporter: scope = the reporter's id (sees the status of what they submitted)
- coordinator: scope = their daily-life area (sees their area's cases)
- agency: scope = the agency's id (sees only the referrals addressed to it)
- supervisor: scope = "city" (reads everything; every case read is recorded)
- helper: scope = the community helper's daily-life area (sees only the tasks given to them)

Tokens come from the console, which signs them with its private key (EdDSA) for the
signed-in person's session (``sid``) and for minutes only; the services verify them with
the console's public key and refuse what the console has since revoked (``access.py``).
Outside production, tokens signed with the shared development key are accepted too
(``tsunagi token``, for operators' curl and for tests). Every token lives at most
``token_max_lifetime_s``, and its subject, role and scope must agree with the reference
data and the accounts the service knows (``token_rules.py``)."""

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
from shared.reference import ReferenceData, load_reference_data
from shared.settings import Settings
from shared.signing import key_id, load_verify_key
from shared.token_rules import token_refusal

UserRole = Literal["reporter", "coordinator", "agency", "supervisor", "helper"]
ROLES: tuple[str, ...] = UserRole.__args__  # type: ignore[attr-defined]
ALGORITHM = "HS256"
CONSOLE_ALGORITHM = "EdDSA"
CONSOLE_ISSUER = "tsunagi-console"
AUDIENCE = "tsunagi"
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
    """A development-key token (embedded and test mode; production refuses them). Without
    a subject: a reporter's own id is the scope; anyone else gets ``role:scope``, which
    no account id can be (``tsunagi token`` checks what it signs, ``mint_checked_token``)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if not scope:
        raise ValueError("scope must not be empty")
    now = now or utcnow()
    claims = {
        "sub": subject or (scope if role == "reporter" else f"{role}:{scope}"),
        "role": role,
        "scope": scope,
        "iat": int(now.timestamp()),
        "exp": int((now + (ttl or timedelta(seconds=settings.token_max_lifetime_s))).timestamp()),
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
        reference: ReferenceData | None = None,
        verify_key: Ed25519PublicKey | None | Literal["from-settings"] = "from-settings",
    ) -> None:
        """``reference``: the service's (live) reference data; None: read from the settings' folder."""
        self.settings = settings
        self.clock = clock or Clock.from_settings(settings)
        self.access = access
        self._reference = reference
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
            self._check_times(claims, self.clock.now(), self.settings.token_max_lifetime_s)
        elif algorithm == ALGORITHM:
            claims = self._development_claims(token)
            # Minted on the machine's clock by `tsunagi token` and tests.
            self._check_times(claims, utcnow(), self.settings.token_max_lifetime_s)
        else:
            raise _unauthorized("トークンが無効です。")
        try:
            identity = Identity(
                subject=claims["sub"], role=claims["role"], scope=claims["scope"], session_id=claims.get("sid")
            )
        except ValueError as exc:
            raise _unauthorized("トークンが無効です。") from exc
        refusal = token_refusal(
            subject=identity.subject,
            role=identity.role,
            scope=identity.scope,
            session_id=identity.session_id,
            reference=self.reference,
            access=self.access,
        )
        if refusal:
            raise _unauthorized(refusal)
        return identity

    @property
    def reference(self) -> ReferenceData:
        if self._reference is None:
            self._reference = load_reference_data(self.settings.reference_dir)
        return self._reference

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
                    "require": ["sub", "exp", "iat", "role", "scope"],
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.InvalidTokenError as exc:
            raise _unauthorized("トークンが無効です。") from exc
        return claims

    @staticmethod
    def _check_times(claims: dict[str, Any], at: datetime, max_lifetime_s: int) -> None:
        now = at.timestamp()
        try:
            expires, issued = float(claims["exp"]), float(claims["iat"])
        except (TypeError, ValueError) as exc:
            raise _unauthorized("トークンが無効です。") from exc
        if expires - issued > max_lifetime_s:
            raise _unauthorized(f"トークンの有効期間が長すぎます({max_lifetime_s} 秒まで)。")
        if expires <= now:
            raise _unauthorized("トークンの有効期限が切れています。")
        if issued > now + CLOCK_SKEW.total_seconds():
            raise _unauthorized("トークンの発行時刻が未来になっています。")


def read_token(settings: Settings, token: str, access: AccessRegistry | None = None) -> Identity:
    """A token read as a service reads it (revocation only with ``access``)."""
    return TokenVerifier(settings, access=access).read(token)


def mint_checked_token(
    settings: Settings, *, role: str, scope: str, subject: str | None = None, access: AccessRegistry | None = None
) -> str:
    """``tsunagi token``: a development-key token, signed only if the services would accept
    it; otherwise ValueError with their reason."""
    token = issue_token(settings, role=role, scope=scope, subject=subject)
    try:
        read_token(settings, token, access)
    except Problem as refused:
        raise ValueError(refused.detail) from refused
    return token


_VERIFIED = "tsunagi.identity"


def verified_once(state: dict[str, Any], token: str, verifier: TokenVerifier) -> Identity:
    """``verifier.read(token)``, once a request: the write guards (rate limit, idempotency)
    and the route share the answer, a refusal included, through the request's state."""
    cached = state.get(_VERIFIED)
    if cached is not None and cached[0] == token:
        answer: Identity | Problem = cached[1]
    else:
        try:
            answer = verifier.read(token)
        except Problem as refusal:
            answer = refusal
        state[_VERIFIED] = (token, answer)
    if isinstance(answer, Problem):
        raise answer
    return answer


async def current_identity(request: Request) -> Identity:
    # async: a sync dependency would cost a thread-pool hop on every request.
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized("Authorization: Bearer トークンが必要です。")
    verifier: TokenVerifier = request.app.state.tokens
    return verified_once(request.scope.setdefault("state", {}), token.strip(), verifier)


CurrentIdentity = Annotated[Identity, Depends(current_identity)]


def require_role(identity: Identity, *roles: str) -> None:
    if identity.role not in roles:
        raise Problem(
            403,
            "権限がありません",
            f"この操作は {'・'.join(roles)} のみ行えます(あなたのロール: {identity.role})。",
            type_="forbidden",
        )
