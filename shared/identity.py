"""Identity: every HTTP request carries a signed bearer token with a role and a scope.

- reporter: scope = the reporter's id (sees the status of what they submitted)
- coordinator: scope = their daily-life area (sees their area's cases)
- agency: scope = the agency's id (sees only the referrals addressed to it)
- supervisor: scope = "city" (reads everything; every case read is recorded)
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

import jwt
from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict

from shared.clock import utcnow
from shared.events.envelope import Actor
from shared.http.errors import Problem
from shared.settings import Settings

UserRole = Literal["reporter", "coordinator", "agency", "supervisor"]
ROLES: tuple[str, ...] = UserRole.__args__  # type: ignore[attr-defined]
ALGORITHM = "HS256"


class Identity(BaseModel):
    model_config = ConfigDict(frozen=True)

    subject: str
    role: UserRole
    scope: str

    @property
    def actor(self) -> Actor:
        return Actor(role=self.role, id=self.subject)


def issue_token(settings: Settings, *, role: str, scope: str, subject: str | None = None,
                ttl: timedelta | None = None) -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if not scope:
        raise ValueError("scope must not be empty")
    now = utcnow()
    claims = {
        "sub": subject or f"{role}:{scope}",
        "role": role,
        "scope": scope,
        "iat": int(now.timestamp()),
        "exp": int((now + (ttl or timedelta(hours=settings.token_ttl_hours))).timestamp()),
    }
    return jwt.encode(claims, settings.secret_key.get_secret_value(), algorithm=ALGORITHM)


def read_token(settings: Settings, token: str) -> Identity:
    try:
        claims = jwt.decode(token, settings.secret_key.get_secret_value(), algorithms=[ALGORITHM],
                            options={"require": ["sub", "exp", "role", "scope"]})
        return Identity(subject=claims["sub"], role=claims["role"], scope=claims["scope"])
    except jwt.ExpiredSignatureError as exc:
        raise Problem(401, "認証エラー", "トークンの有効期限が切れています。", type_="unauthorized") from exc
    except (jwt.InvalidTokenError, ValueError, KeyError) as exc:
        raise Problem(401, "認証エラー", "トークンが無効です。", type_="unauthorized") from exc


async def current_identity(request: Request) -> Identity:
    # async: a sync dependency would cost a thread-pool hop on every request.
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Problem(401, "認証エラー", "Authorization: Bearer トークンが必要です。", type_="unauthorized")
    return read_token(request.app.state.settings, token.strip())


CurrentIdentity = Annotated[Identity, Depends(current_identity)]


def require_role(identity: Identity, *roles: str) -> None:
    if identity.role not in roles:
        raise Problem(
            403,
            "権限がありません",
            f"この操作は {'・'.join(roles)} のみ行えます(あなたのロール: {identity.role})。",
            type_="forbidden",
        )
