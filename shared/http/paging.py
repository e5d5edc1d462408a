"""One way to page every list: ``Page`` (the items, how many match in all, where this page
sits) and the ``paging`` dependency, which takes either ``page``/``per_page`` or
``limit``/``offset`` (clients of both kinds exist) and gives the handler a window.

Lists whose deep pages are read (``paging(..., keyset=True)``) also take ``cursor``: the
``next_cursor`` of the page before, an opaque encoding of that page's last sort key. The
handler then reads the rows after that key through an index instead of counting past
``offset`` rows; a page read by cursor has no page number or offset."""

# No `from __future__ import annotations`: FastAPI reads the window's parameters at run
# time, and their bounds (``maximum``) live in the closure, not in the module.
import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field

from shared.errors import InvalidInput
from shared.http.text import MAX_OFFSET

T = TypeVar("T")
MAX_PAGE = 10_000


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="条件に合う件数(すべてのページ)")
    page: int | None = Field(description="このページの番号(1 から。cursor で読んだときは null)")
    per_page: int = Field(description="1ページの件数(= limit)")
    offset: int | None = Field(description="このページの先頭が何件目か(0 から。cursor で読んだときは null)")
    limit: int = Field(description="1ページの件数(= per_page)")
    next_cursor: str | None = Field(
        None, description="次のページを読むときの cursor(keyset。これが最後のページ、または未対応の一覧なら null)"
    )


@dataclass(frozen=True)
class Window:
    """The rows a request wants: ``limit`` of them from ``offset``, or after the sort
    key ``after`` (a decoded cursor)."""

    offset: int
    limit: int
    after: tuple[Any, ...] | None = None

    def page_fields(self, total: int) -> dict[str, int | None]:
        by_cursor = self.after is not None
        return {
            "total": total,
            "page": None if by_cursor else self.offset // self.limit + 1,
            "per_page": self.limit,
            "offset": None if by_cursor else self.offset,
            "limit": self.limit,
        }


MAX_CURSOR = 512
UNREADABLE_CURSOR = "cursor が読めません(前のページの next_cursor をそのまま渡してください)。"


def encode_cursor(key: Sequence[Any]) -> str:
    """A page's last sort key as an opaque, URL-safe cursor."""
    raw = json.dumps(list(key), ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str) -> tuple[Any, ...]:
    try:
        key = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput(
            "cursor が読めません(前のページの next_cursor をそのまま渡してください)。", field="cursor"
        ) from exc
    if not isinstance(key, list) or not key:
        raise InvalidInput("cursor が読めません(前のページの next_cursor をそのまま渡してください)。", field="cursor")
    return tuple(key)


def paging(default: int, maximum: int, *, keyset: bool = False) -> Callable[..., Awaitable[Window]]:
    """The dependency of one list endpoint: ``default`` rows a page, at most ``maximum``;
    ``keyset``: it also takes a ``cursor``."""

    # Dependencies are async: FastAPI runs a plain def in a worker thread, a hop per request.
    async def window(
        page: Annotated[int | None, Query(ge=1, le=MAX_PAGE, description="ページ番号(1 から)")] = None,
        per_page: Annotated[int | None, Query(ge=1, le=maximum, description="1ページの件数")] = None,
        limit: Annotated[int | None, Query(ge=1, le=maximum, description="per_page と同じ")] = None,
        offset: Annotated[int | None, Query(ge=0, le=MAX_OFFSET, description="先頭から飛ばす件数")] = None,
    ) -> Window:
        if per_page is not None and limit is not None and per_page != limit:
            raise InvalidInput("per_page と limit は同じ値にしてください(どちらか一方で足ります)。", field="limit")
        if page is not None and offset is not None:
            raise InvalidInput("page と offset はどちらか一方だけ指定してください。", field="offset")
        size = per_page or limit or default
        return Window(offset=offset if offset is not None else ((page or 1) - 1) * size, limit=size)

    if not keyset:
        return window

    async def keyset_window(
        base: Annotated[Window, Depends(window)],
        page: Annotated[int | None, Query(ge=1, le=MAX_PAGE, description="ページ番号(1 から)")] = None,
        offset: Annotated[int | None, Query(ge=0, le=MAX_OFFSET, description="先頭から飛ばす件数")] = None,
        cursor: Annotated[
            str | None, Query(min_length=1, max_length=MAX_CURSOR, description="前のページの next_cursor")
        ] = None,
    ) -> Window:
        if cursor is None:
            return base
        if page is not None or offset is not None:
            raise InvalidInput("cursor と page・offset は一緒に指定できません。", field="cursor")
        return Window(offset=0, limit=base.limit, after=decode_cursor(cursor))

    return keyset_window


def page_of(window: Window, items: Sequence[T], total: int, last_key: Sequence[Any] | None = None) -> dict[str, object]:
    """The fields of a ``Page`` (or a model extending it) for these items; ``last_key``:
    the sort key of the last item, when the list can be read by cursor."""
    more = last_key is not None and len(items) == window.limit
    return {
        "items": list(items),
        **window.page_fields(total),
        "next_cursor": encode_cursor(last_key) if more and last_key is not None else None,
    }
