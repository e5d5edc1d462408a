"""The guards on an API's writes, added by each service's ``build_app``: the per-account
rate limit (``ratelimit.py``) and ``Idempotency-Key`` on POST (``idempotency.py``), and
what they answer declared in the OpenAPI document."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from sqlalchemy import Table
from starlette.middleware import Middleware

from shared.http.idempotency import HEADER, KEY_PATTERN, IdempotencyMiddleware
from shared.http.ratelimit import WRITES, WriteRateLimit

if TYPE_CHECKING:
    from shared.runtime import ServiceRuntime

_PROBLEM = {"application/problem+json": {"schema": {"type": "object"}}}
_RETRY_AFTER = {"Retry-After": {"description": "待つ秒数", "schema": {"type": "integer"}}}
ANSWERS: dict[str, dict[str, Any]] = {
    "409": {"description": "同じ Idempotency-Key の送信を処理中 (or a state conflict)", "content": _PROBLEM},
    "422": {"description": "入力内容の誤り、または別の内容に使われた Idempotency-Key", "content": _PROBLEM},
    "429": {"description": "アカウントごとの書き込みの上限を超えた", "content": _PROBLEM, "headers": _RETRY_AFTER},
}
KEY_PARAMETER = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "description": "同じキーで繰り返した送信には、最初の応答をそのまま返します(24 時間、アカウントごと)",
    "schema": {"type": "string", "pattern": KEY_PATTERN, "maxLength": 128},
}


def add_write_guards(app: FastAPI, runtime: ServiceRuntime, idempotency: Table) -> None:
    """Inside the app's body limit and correlation id (appended: innermost of the app's
    own middleware), the rate limit first, so every attempt counts."""
    settings = runtime.settings
    app.user_middleware.append(
        Middleware(
            WriteRateLimit,
            redis=runtime.redis,
            clock=runtime.clock,
            tokens=runtime.tokens,
            limits=settings.effective_write_limits(),
            window_s=settings.write_limit_window_s,
        )
    )
    app.user_middleware.append(
        Middleware(
            IdempotencyMiddleware,
            engine=runtime.engine,
            table=idempotency,
            clock=runtime.clock,
            tokens=runtime.tokens,
            keys=runtime.keys,
            ttl=timedelta(hours=settings.idempotency_ttl_hours),
        )
    )
    declare_in_openapi(app)


def declare_in_openapi(app: FastAPI) -> None:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            for operations in schema.get("paths", {}).values():
                for method, operation in operations.items():
                    if method.upper() not in WRITES:
                        continue
                    answers = ANSWERS if method == "post" else {"429": ANSWERS["429"]}
                    for status, answer in answers.items():
                        operation.setdefault("responses", {}).setdefault(status, answer)
                    if method == "post":
                        operation.setdefault("parameters", []).append(KEY_PARAMETER)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
