"""Errors the service layers raise; the HTTP layer turns each into problem details.
Messages are Japanese: staff read them."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    title = "リクエストを処理できません"
    type = "bad-request"

    def __init__(self, message: str, *, field: str | None = None, **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.extensions = extensions


class InvalidInput(DomainError):
    status = 422
    title = "入力内容に誤りがあります"
    type = "validation"


class NotFound(DomainError):
    status = 404
    title = "見つかりません"
    type = "not-found"


class Forbidden(DomainError):
    status = 403
    title = "権限がありません"
    type = "forbidden"


class Conflict(DomainError):
    """A state conflict: stale version, illegal transition, duplicate action."""

    status = 409
    title = "競合しています"
    type = "conflict"


class StaleVersion(Conflict):
    """The caller acted on a version that is no longer the current one."""


class AlreadyDone(Conflict):
    """What was asked is already so: nothing changed."""
