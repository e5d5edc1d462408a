"""One way to page every list: ``Page`` (the items, how many match in all, where this page
sits) and the ``paging`` dependency, which takes either ``page``/``per_page`` or
``limit``/``offset`` (clients of both kinds exist) and gives the handler an offset and a
limit. Handlers read a window (offset, limit); a keyset cursor can replace the offset
here, in one place, when deep pages need it."""

# No `from __future__ import annotations`: FastAPI reads the window's parameters at run
# time, and their bounds (``maximum``) live in the closure, not in the module.
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

from shared.errors import InvalidInput
from shared.http.text import MAX_OFFSET

T = TypeVar("T")
MAX_PAGE = 10_000


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="条件に合う件数(すべてのページ)")
    page: int = Field(description="このページの番号(1 から)")
    per_page: int = Field(description="1ページの件数(= limit)")
    offset: int = Field(description="このページの先頭が何件目か(0 から)")
    limit: int = Field(description="1ページの件数(= per_page)")


@dataclass(frozen=True)
class Window:
    """The rows a request wants: ``limit`` of them from ``offset``."""

    offset: int
    limit: int

    def page_fields(self, total: int) -> dict[str, int]:
        return {
            "total": total,
            "page": self.offset // self.limit + 1,
            "per_page": self.limit,
            "offset": self.offset,
            "limit": self.limit,
        }


def paging(default: int, maximum: int) -> Callable[..., Window]:
    """The dependency of one list endpoint: ``default`` rows a page, at most ``maximum``."""

    def window(
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

    return window


def page_of(window: Window, items: Sequence[T], total: int) -> dict[str, object]:
    """The fields of a ``Page`` (or a model extending it) for these items."""
    return {"items": list(items), **window.page_fields(total)}
