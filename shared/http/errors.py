"""One error shape for every API: RFC 9457 problem details (application/problem+json).
Titles and details are Japanese (they are read by city and welfare staff); the
``errors`` list names each bad field by its JSON location."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.errors import DomainError
from shared.http.text import MESSAGE_JA
from shared.logging import get_logger
from shared.plausible import JA_TYPES

PROBLEM_BASE = "https://tsunagi.example/problems/"
MEDIA_TYPE = "application/problem+json"

log = get_logger(__name__)

_JA_MESSAGES = {
    "missing": "必須項目です",
    "string_too_short": "短すぎます",
    "string_too_long": "長すぎます",
    "too_short": "件数が足りません",
    "too_long": "件数が多すぎます",
    "literal_error": "選択肢にない値です",
    "enum": "選択肢にない値です",
    "string_type": "文字列で入力してください",
    "int_parsing": "整数で入力してください",
    "int_type": "整数で入力してください",
    "bool_type": "真偽値で入力してください",
    "list_type": "配列で入力してください",
    "dict_type": "オブジェクトで入力してください",
    "model_type": "オブジェクトで入力してください",
    "extra_forbidden": "この項目は受け付けていません",
    "json_invalid": "JSON として読めません",
    "value_error": "値が正しくありません",
    "datetime_parsing": "日時の形式が正しくありません",
    "datetime_from_date_parsing": "日時の形式が正しくありません",
    "date_from_datetime_parsing": "日付の形式が正しくありません",
    "greater_than_equal": "値が小さすぎます",
    "less_than_equal": "値が大きすぎます",
    "string_pattern_mismatch": "形式が正しくありません",
    "control_character": MESSAGE_JA,
}


RETRY_AFTER_S = 5


# What an outage looks like below SQLAlchemy: asyncpg's connection, operator and resource
# errors (by class, anywhere in the error's MRO) and SQLite's busy or unreachable file.
# Anything else the database refuses (a bad statement, too many bind parameters) is a bug.
_ASYNCPG_OUTAGES = frozenset({"PostgresConnectionError", "OperatorInterventionError", "InsufficientResourcesError"})
_SQLITE_OUTAGES = ("database is locked", "unable to open database", "disk i/o error")


def _is_outage(error: BaseException) -> bool:
    kind = type(error)
    if kind.__module__.startswith("asyncpg"):
        if any(base.__name__ in _ASYNCPG_OUTAGES for base in kind.__mro__):
            return True
        return kind.__name__ == "InterfaceError" and "closed" in str(error)
    if kind.__module__ == "sqlite3" and kind.__name__ == "OperationalError":
        return str(error).lower().startswith(_SQLITE_OUTAGES)
    return False


def is_unavailable(exc: BaseException) -> bool:
    """A lost or refused connection to the database or Redis (not a bug): answered 503.
    A database error that is not an outage is not reported as one."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
    from sqlalchemy.exc import DBAPIError, DisconnectionError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(
            current,
            (
                PoolTimeout,
                DisconnectionError,
                ConnectionError,
                OSError,
                TimeoutError,
                RedisConnectionError,
                RedisTimeoutError,
            ),
        ):
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        if _is_outage(current):
            return True
        current = current.__cause__ or current.__context__
    return False


class Problem(Exception):
    """Raise anywhere in a request to answer with a problem-details body."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        type_: str = "about:blank",
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type_ if type_ == "about:blank" or type_.startswith("http") else PROBLEM_BASE + type_
        self.errors = errors
        self.headers = headers
        self.extensions = extensions

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status, "detail": self.detail}
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extensions)
        return body


def problem_response(problem: Problem, request: Request | None = None) -> JSONResponse:
    return JSONResponse(
        problem.body(request.url.path if request else None),
        status_code=problem.status,
        media_type=MEDIA_TYPE,
        headers=problem.headers,
    )


def unavailable() -> Problem:
    return Problem(
        503,
        "一時的に利用できません",
        "データベースに接続できないため保存できませんでした。しばらくしてからもう一度送信してください。",
        type_="unavailable",
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


def not_found(what: str) -> Problem:
    return Problem(404, "見つかりません", f"{what}は見つかりません(または閲覧権限がありません)。", type_="not-found")


def conflict(detail: str, **extensions: Any) -> Problem:
    return Problem(409, "競合しています", detail, type_="conflict", **extensions)


def unprocessable(detail: str, field: str | None = None) -> Problem:
    errors = [{"loc": field.split("."), "msg": detail, "type": "value_error"}] if field else None
    return Problem(422, "入力内容に誤りがあります", detail, type_="validation", errors=errors)


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        kind = err.get("type", "")
        ja = err["msg"] if kind in JA_TYPES else _JA_MESSAGES.get(kind, "値が正しくありません")
        ctx = err.get("ctx", {})
        if err.get("type") == "literal_error" and "expected" in ctx:
            ja = f"{ja}(使える値: {ctx['expected']})"
        # An empty required field is not "too short": say what to do.
        elif err.get("type") == "string_too_short" and ctx.get("min_length") == 1:
            ja = "入力してください"
        elif err.get("type") == "too_short" and ctx.get("min_length") == 1:
            ja = "1つ以上選んでください"
        elif err.get("type") == "too_short" and isinstance(ctx.get("min_length"), int):
            ja = f"{ctx['min_length']}つ以上選んでください"
        elif err.get("type") in ("string_too_long", "too_long") and "max_length" in ctx:
            ja = f"{ja}({ctx['max_length']}{'文字' if err['type'] == 'string_too_long' else '件'}まで)"
        out.append({"loc": loc, "msg": ja, "type": err.get("type"), "detail": err.get("msg")})
    return out


# What FastAPI and Starlette say in English, as the rest of the API says it.
_FRAMEWORK_DETAILS = {
    "There was an error parsing the body": "本文を読み取れません(UTF-8 の JSON で送ってください)。",
    "Not Found": "このURLはありません。",
    "Method Not Allowed": "このURLでは、このメソッドは使えません。",
}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc, request)

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        errors = [{"loc": exc.field.split("."), "msg": exc.message, "type": exc.type}] if exc.field else None
        problem = Problem(exc.status, exc.title, exc.message, type_=exc.type, errors=errors, **exc.extensions)
        return problem_response(problem, request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _field_errors(exc)
        if any(e["type"] == "json_invalid" for e in errors):
            problem = Problem(
                400,
                "リクエストの形式が正しくありません",
                "本文が正しい JSON ではありません。",
                type_="malformed",
                errors=errors,
            )
        else:
            fields = "、".join(".".join(e["loc"][1:] or e["loc"]) for e in errors)
            problem = Problem(
                422,
                "入力内容に誤りがあります",
                f"次の項目を確認してください: {fields}",
                type_="validation",
                errors=errors,
            )
        return problem_response(problem, request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {
            400: "リクエストの形式が正しくありません",
            404: "見つかりません",
            405: "許可されていないメソッドです",
            413: "リクエストが大きすぎます",
        }
        problem = Problem(
            exc.status_code,
            titles.get(exc.status_code, "エラー"),
            _FRAMEWORK_DETAILS.get(str(exc.detail), str(exc.detail)),
            type_="malformed" if exc.status_code == 400 else "about:blank",
            headers=getattr(exc, "headers", None),
        )
        return problem_response(problem, request)

    async def _unavailable_or_unexpected(request: Request, exc: Exception) -> JSONResponse:
        if is_unavailable(exc):
            # The database (or Redis) cannot be reached: nothing was stored, say so and
            # when to retry. Never claim to have accepted what was not stored.
            log.warning("dependency_unavailable", path=request.url.path, error_type=type(exc).__name__)
            return problem_response(unavailable(), request)
        log.exception("request_failed", path=request.url.path, error_type=type(exc).__name__)
        return problem_response(Problem(500, "内部エラー", "予期しないエラーが発生しました。記録済みです。"), request)

    # Connection failures are answered by the inner exception middleware (a 503 that
    # is not re-raised); anything else unexpected is a logged 500.
    for exc_class in _connection_error_classes():
        app.add_exception_handler(exc_class, _unavailable_or_unexpected)
    app.add_exception_handler(Exception, _unavailable_or_unexpected)


def _connection_error_classes() -> tuple[type[Exception], ...]:
    import asyncpg
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    return (
        OSError,
        TimeoutError,
        DBAPIError,
        PoolTimeout,
        RedisConnectionError,
        RedisTimeoutError,
        asyncpg.exceptions.PostgresConnectionError,
        asyncpg.exceptions.InterfaceError,
    )
