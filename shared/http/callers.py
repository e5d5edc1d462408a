"""Who sent a request, read outside the routes (the write guards): the same token
check the routes make, or None when there is no valid token (the route answers 401)."""

from __future__ import annotations

from starlette.types import Scope

from shared.http.errors import Problem
from shared.identity import Identity, TokenVerifier, verified_once


def account_of(scope: Scope, tokens: TokenVerifier) -> Identity | None:
    header = dict(scope.get("headers") or []).get(b"authorization", b"").decode("latin-1")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        return verified_once(scope.setdefault("state", {}), token.strip(), tokens)
    except Problem:
        return None
