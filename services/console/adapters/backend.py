"""The four services, as the console reaches them: their public HTTP APIs only, each
call carrying a short-lived token for the signed-in person (signed with the console's
key). Problem answers become ``ApiError`` (with the field messages the page shows next
to each field); an unreachable service becomes ``ServiceUnavailable``."""

from __future__ import annotations

import contextvars
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.console.handlers.signin import SignedIn
from shared.clock import Clock
from shared.identity import issue_console_token
from shared.settings import Settings

BACKENDS = ("intake", "case", "referral", "notify")
# A cached token is replaced this long before it expires, so no call carries one that
# expires on the way.
RENEW_BEFORE = timedelta(seconds=60)


class ServiceUnavailable(Exception):
    def __init__(self, service: str) -> None:
        super().__init__(service)
        self.service = service


class ApiError(Exception):
    """A service answered with a problem (4xx, or 503 while its database is down)."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        super().__init__(problem.get("detail") or problem.get("title") or str(status))
        self.status = status
        self.problem = problem

    @property
    def detail(self) -> str:
        return str(self.problem.get("detail") or self.problem.get("title") or "エラーが発生しました。")

    def field_errors(self, prefix_drop: int = 1) -> dict[str, str]:
        """``{"person.name_kana": "…"}`` from the problem's ``errors[].loc`` (the first
        element — body, query — dropped)."""
        found: dict[str, str] = {}
        for error in self.problem.get("errors") or []:
            loc = [str(p) for p in error.get("loc") or []]
            if loc and loc[0] in ("body", "query", "path"):
                loc = loc[prefix_drop:]
            name = ".".join(loc) or "_form"
            found.setdefault(name, str(error.get("msg") or self.detail))
        return found


@dataclass
class CallTimes:
    """Time spent waiting for the services during one page (its Server-Timing header)."""

    calls: int = 0
    seconds: float = 0.0
    services: list[str] = field(default_factory=list)


call_times: contextvars.ContextVar[CallTimes | None] = contextvars.ContextVar("call_times", default=None)


class TokenMint:
    """One token per session and grant, reused until shortly before it expires."""

    def __init__(self, key: Ed25519PrivateKey, clock: Clock, ttl: timedelta) -> None:
        self.key = key
        self.clock = clock
        self.ttl = ttl
        self._cache: dict[tuple[str, str], tuple[str, Any]] = {}

    def token_for(self, who: SignedIn) -> str:
        if who.chosen is None or not who.chosen.grant.uses_services:
            raise PermissionError("no service grant chosen")
        if who.awaiting is not None:  # the password alone opens no service
            raise PermissionError("the second factor is still to come")
        now = self.clock.now()
        key = (who.session_id, who.chosen.id)
        cached = self._cache.get(key)
        if cached and cached[1] - now > RENEW_BEFORE:
            return cached[0]
        grant = who.chosen.grant
        token = issue_console_token(
            self.key,
            subject=who.account_id,
            role=grant.role,
            scope=grant.scope,
            session_id=who.session_id,
            now=now,
            ttl=self.ttl,
        )
        if len(self._cache) > 10_000:  # sessions come and go; never grow without bound
            self._cache.clear()
        self._cache[key] = (token, now + self.ttl)
        return token


class Backend:
    def __init__(self, settings: Settings, mint: TokenMint) -> None:
        self.mint = mint
        self.clients = {name: httpx.AsyncClient(base_url=settings.url_of(name), timeout=15.0) for name in BACKENDS}

    async def aclose(self) -> None:
        for client in self.clients.values():
            await client.aclose()

    async def request(
        self,
        service: str,
        method: str,
        path: str,
        who: SignedIn,
        *,
        params: Any = None,
        json: Any = None,
        correlation_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> httpx.Response:
        headers = {"authorization": f"Bearer {self.mint.token_for(who)}"}
        if correlation_id:
            headers["x-correlation-id"] = correlation_id
        if idempotency_key:  # a repeat of this POST (a double-click, a retry) gets the first answer
            headers["idempotency-key"] = idempotency_key
        started = time.perf_counter()
        try:
            response = await self.clients[service].request(method, path, params=params, json=json, headers=headers)
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(service) from exc
        finally:
            times = call_times.get()
            if times is not None:
                times.calls += 1
                times.seconds += time.perf_counter() - started
                times.services.append(service)
        if response.status_code >= 500 and response.status_code != 503:
            raise ServiceUnavailable(service)
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {"title": response.reason_phrase, "detail": response.text[:200]}
            if response.status_code == 503:
                raise ServiceUnavailable(service)
            raise ApiError(response.status_code, problem if isinstance(problem, dict) else {})
        return response

    async def get(self, service: str, path: str, who: SignedIn, params: Any = None, **kw: Any) -> Any:
        return (await self.request(service, "GET", path, who, params=params, **kw)).json()

    async def get_every(
        self, service: str, path: str, who: SignedIn, per_page: int, params: dict[str, Any] | None = None, **kw: Any
    ) -> Any:
        """A paged list read whole (for an export or an audit, which must not stop at a
        page): the first page's answer with the items of every page."""
        first = await self.get(service, path, who, params={**(params or {}), "per_page": per_page}, **kw)
        pages = -(-int(first.get("total", 0)) // per_page)
        for number in range(2, pages + 1):
            more = await self.get(
                service, path, who, params={**(params or {}), "per_page": per_page, "page": number}, **kw
            )
            first["items"].extend(more["items"])
        return first

    async def post(self, service: str, path: str, who: SignedIn, json: Any, **kw: Any) -> Any:
        return (await self.request(service, "POST", path, who, json=json, **kw)).json()
