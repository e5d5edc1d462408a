"""One way to page every list: page/per_page and limit/offset both work and say the same
window; mixing them in ways that disagree is refused, never guessed."""

from __future__ import annotations

import pytest

from shared.errors import InvalidInput
from shared.http.paging import Window, page_of, paging

window = paging(default=20, maximum=100)


def test_page_and_per_page_or_offset_and_limit_give_the_same_window() -> None:
    assert window(page=3, per_page=10) == Window(offset=20, limit=10) == window(offset=20, limit=10)
    assert window() == Window(offset=0, limit=20)
    assert window(per_page=10, limit=10) == Window(offset=0, limit=10)


def test_a_page_says_where_it_sits_both_ways() -> None:
    fields = page_of(Window(offset=20, limit=10), ["a"], total=21)
    assert fields == {"items": ["a"], "total": 21, "page": 3, "per_page": 10, "offset": 20, "limit": 10}


@pytest.mark.parametrize("wanted", [{"page": 2, "offset": 10}, {"per_page": 10, "limit": 20}])
def test_disagreeing_parameters_are_refused(wanted: dict[str, int]) -> None:
    with pytest.raises(InvalidInput):
        window(**wanted)
