"""What the search box reads: case numbers and reference numbers as people type them,
anything else as a name; blank or over-long input is refused on the field q."""

from __future__ import annotations

import pytest

from services.case.domain.search import normalise_number, parse_search
from shared.errors import InvalidInput


@pytest.mark.parametrize(
    "typed",
    [
        "K-2611-7K3Q9M",
        "k-2611-7k3q9m",
        "Ｋ－２６１１－７Ｋ３Ｑ９Ｍ",
        " K-2611-7K3Q9M\u3000",
        "K‐2611‐7K3Q9M",
        "K−2611−7K3Q9M",
        "Kー2611ー7K3Q9M",
        "K - 2611 - 7K3Q9M",
    ],
)
def test_case_numbers_as_typed(typed: str) -> None:
    term = parse_search(typed)
    assert (term.kind, term.value) == ("case_number", "K-2611-7K3Q9M")
    assert term.query == typed.strip()


@pytest.mark.parametrize("typed", ["TSN-2611-7K3Q9M", "tsn-2611-7k3q9m", "ＴＳＮ－２６１１－７Ｋ３Ｑ９Ｍ"])
def test_reference_numbers_as_typed(typed: str) -> None:
    assert (parse_search(typed).kind, parse_search(typed).value) == ("reference", "TSN-2611-7K3Q9M")


def test_look_alike_letters_are_read_as_digits() -> None:
    assert parse_search("TSN-26II-O0LQ9M").value == "TSN-2611-001Q9M"
    assert parse_search("k-26l1-oK3Q9M").value == "K-2611-0K3Q9M"
    assert normalise_number("tsn-2611-abc") == "TSN-2611-ABC"


@pytest.mark.parametrize(
    "typed",
    [
        "山田 太郎",
        "やまだ たろう",
        "K-2611",
        "TSN-2611-7K3Q9",
        "K-26110-7K3Q9M",
        "TSN-2611-7K3Q9U",
        "X-2611-7K3Q9M",
        "K-２６１１-7K3Q9MM",
    ],
)
def test_anything_else_is_a_name(typed: str) -> None:
    term = parse_search(typed)
    assert (term.kind, term.value) == ("name", typed)


@pytest.mark.parametrize("blank", ["", " ", "\u3000\u3000", "\t\n"])
def test_blank_is_refused_on_q(blank: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_search(blank)
    assert raised.value.field == "q"


def test_length_counts_after_trimming() -> None:
    assert parse_search(" " + "あ" * 100 + " ").value == "あ" * 100
    with pytest.raises(InvalidInput) as raised:
        parse_search("あ" * 101)
    assert raised.value.field == "q" and "100文字" in raised.value.message
