"""One way to page every list: page/per_page and limit/offset both work and say the same
window; mixing them in ways that disagree is refused, never guessed. (The dependencies are
coroutines, as FastAPI would otherwise run them in a worker thread.)"""

from __future__ import annotations

import pytest

from shared.errors import InvalidInput
from shared.http.paging import Window, decode_cursor, encode_cursor, page_of, paging

window = paging(default=20, maximum=100)


async def test_page_and_per_page_or_offset_and_limit_give_the_same_window() -> None:
    assert await window(page=3, per_page=10) == Window(offset=20, limit=10) == await window(offset=20, limit=10)
    assert await window() == Window(offset=0, limit=20)
    assert await window(per_page=10, limit=10) == Window(offset=0, limit=10)


def test_a_page_says_where_it_sits_both_ways() -> None:
    fields = page_of(Window(offset=20, limit=10), ["a"], total=21)
    assert fields == {
        "items": ["a"],
        "total": 21,
        "page": 3,
        "per_page": 10,
        "offset": 20,
        "limit": 10,
        "next_cursor": None,
    }


@pytest.mark.parametrize("wanted", [{"page": 2, "offset": 10}, {"per_page": 10, "limit": 20}])
async def test_disagreeing_parameters_are_refused(wanted: dict[str, int]) -> None:
    with pytest.raises(InvalidInput):
        await window(**wanted)


keyset = paging(default=20, maximum=100, keyset=True)


async def test_a_full_page_offers_a_cursor_to_the_rows_after_its_last() -> None:
    first = page_of(
        await keyset(base=await window(per_page=2)), ["a", "b"], total=5, last_key=[1, "2026-12-03T00:00:00+00:00", "b"]
    )
    assert first["page"] == 1 and first["next_cursor"]
    after = await keyset(base=await window(per_page=2), cursor=first["next_cursor"])
    assert after == Window(offset=0, limit=2, after=(1, "2026-12-03T00:00:00+00:00", "b"))
    # Read by cursor, a page has no number; the last, short page offers no cursor.
    last = page_of(after, ["c"], total=5, last_key=[2, "2026-12-03T00:00:00+00:00", "c"])
    assert (last["page"], last["offset"], last["next_cursor"]) == (None, None, None)


def test_a_cursor_survives_any_text_and_refuses_garbage() -> None:
    key = [0, "サンプル/+=?&", "01K"]
    assert decode_cursor(encode_cursor(key)) == tuple(key)
    for garbage in ("%%%", "bm90IGpzb24", encode_cursor([]).ljust(2, "A"), "e30"):
        with pytest.raises(InvalidInput):
            decode_cursor(garbage)


async def test_a_cursor_does_not_mix_with_page_or_offset() -> None:
    with pytest.raises(InvalidInput):
        await keyset(base=await window(page=2), page=2, cursor=encode_cursor([1]))
    with pytest.raises(InvalidInput):
        await keyset(base=await window(offset=5), offset=5, cursor=encode_cursor([1]))
