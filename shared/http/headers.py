"""Security headers on every answer of every service (the console's pages and the four
APIs alike): no sniffing, no framing, no referrer beyond the origin, and nothing cached —
the answers carry personal data — except the static assets under ``/static/``."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# An API answer is data, never a page: nothing in it may load or run.
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# The API docs pages (Swagger UI, ReDoc, the AsyncAPI page) run their own scripts, all
# served by the service itself (shared/http/static/vendor).
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
DOCS_PAGES = frozenset({"/docs", "/redoc", "/asyncapi"})
STATIC_PREFIX = "/static/"


class SecurityHeaders:
    """``csp``: the Content-Security-Policy of this app's answers (the console's pages
    have their own); the API docs pages get ``DOCS_CSP``."""

    def __init__(self, app: ASGIApp, csp: str = API_CSP) -> None:
        self.app = app
        self.csp = csp.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        csp = DOCS_CSP.encode() if path in DOCS_PAGES else self.csp

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                headers += [
                    (b"content-security-policy", csp),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                ]
                if not path.startswith(STATIC_PREFIX):
                    headers.append((b"cache-control", b"no-store"))
            await send(message)

        await self.app(scope, receive, send_with_headers)
