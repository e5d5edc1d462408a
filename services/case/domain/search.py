"""What a coordinator typed into the search box: a case number, a consultation's
reference number, or a person's name (kanji or furigana). No I/O.

Numbers are read as people type them (``normalise_number``); a name is looked up only
through its keyed match keys (``MatchKeys.name`` / ``MatchKeys.kana``), exact after
normalisation — never as text, never by a partial match.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from shared.errors import InvalidInput

SearchKind = Literal["case_number", "reference", "name"]
MAX_QUERY_LENGTH = 100

# Both numbers end in six Crockford base32 characters (no I, L, O, U).
_CODE = "[0-9A-HJKMNP-TV-Z]{6}"
_CASE_NUMBER = re.compile(rf"K-[0-9]{{4}}-{_CODE}")
_REFERENCE = re.compile(rf"TSN-[0-9]{{4}}-{_CODE}")
# Dashes a Japanese keyboard produces instead of "-" (after NFKC).
_DASHES = str.maketrans({dash: "-" for dash in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc"})
_LOOK_ALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def normalise_number(text: str) -> str:
    """A case or reference number as typed: NFKC (full-width is fine), no spaces, upper
    case, any dash as "-", and the look-alikes people type by mistake (O→0, I/L→1:
    neither number uses those letters)."""
    folded = unicodedata.normalize("NFKC", text).translate(_DASHES).upper()
    return "".join(ch for ch in folded if not ch.isspace()).translate(_LOOK_ALIKES)


@dataclass(frozen=True)
class SearchTerm:
    query: str  # as typed, trimmed
    kind: SearchKind
    value: str  # the normalised number, or the name as typed (its keys normalise it)


def parse_search(q: str) -> SearchTerm:
    """What ``q`` is, or a 422 on ``q`` if it is blank or too long."""
    query = q.strip()
    if not query:
        raise InvalidInput("検索する番号か氏名を入力してください。", field="q")
    if len(query) > MAX_QUERY_LENGTH:
        raise InvalidInput(f"検索する言葉は{MAX_QUERY_LENGTH}文字以内で入力してください。", field="q")
    number = normalise_number(query)
    if _CASE_NUMBER.fullmatch(number):
        return SearchTerm(query=query, kind="case_number", value=number)
    if _REFERENCE.fullmatch(number):
        return SearchTerm(query=query, kind="reference", value=number)
    return SearchTerm(query=query, kind="name", value=query)
