"""How names are compared: two ways of writing one name become one text. No I/O.

Used for matching (same person) and for searching by name, always through keyed match
keys (``matching.MatchKeys``), never stored as plain text.

- ``normalise``: NFKC (full-width letters, half-width katakana), no whitespace of any
  width, lower case — 「山田　太郎」 == 「山田太郎」, 「ＳＡＭＰＬＥ」 == 「sample」.
- ``normalise_name``: the same, and the common variant kanji of names folded to one form
  (``VARIANT_KANJI``: 髙橋 == 高橋, 渡邊 == 渡辺) and variation selectors dropped.
- ``normalise_kana``: a furigana reading: the name form, katakana as hiragana and 「・」
  dropped — ヤマダ タロウ == やまだたろう == ﾔﾏﾀﾞﾀﾛｳ.
"""

from __future__ import annotations

import re
import unicodedata

# Variant (異体字) → the everyday form. Small on purpose: only variants that people
# write interchangeably in the same surname, so folding them never joins two names a
# family would call different. Extend it here, with a test.
VARIANT_KANJI: dict[str, str] = {
    "髙": "高",
    "﨑": "崎",
    "嵜": "崎",
    "邊": "辺",
    "邉": "辺",
    "澤": "沢",
    "濱": "浜",
    "廣": "広",
    "國": "国",
    "櫻": "桜",
    "瀨": "瀬",
    "眞": "真",
    "德": "徳",
    "惠": "恵",
    "冨": "富",
    "嶋": "島",
    "嶌": "島",
    "齋": "斉",
    "齊": "斉",
    "斎": "斉",
    "藪": "薮",
    "槇": "槙",
    "髮": "髪",
    "𠮷": "吉",
    "實": "実",
    "淺": "浅",
}
_FOLD_VARIANTS = str.maketrans(VARIANT_KANJI)

# Variation selectors pick a glyph of the same character (e.g. 葛 with an IVS).
_VARIATION_SELECTORS = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]")

# ァ..ヶ and ヽヾ sit 0x60 above their hiragana; ヷ..ヺ have none and stay.
_KATAKANA_TO_HIRAGANA = {code: code - 0x60 for code in (*range(0x30A1, 0x30F7), 0x30FD, 0x30FE)}
_MIDDLE_DOT = "・"


def normalise(text: str | None) -> str:
    """NFKC, no spaces of any width, lower case: 「山田 太郎」 == 「山田太郎」."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in folded if not ch.isspace())


def normalise_name(text: str | None) -> str:
    """A name as compared: ``normalise`` with variant kanji folded (髙橋 == 高橋)."""
    return _VARIATION_SELECTORS.sub("", normalise(text)).translate(_FOLD_VARIANTS)


def normalise_kana(text: str | None) -> str:
    """A furigana reading as compared: katakana as hiragana, no 「・」 (ヤマダ・タロウ == やまだたろう)."""
    return normalise_name(text).translate(_KATAKANA_TO_HIRAGANA).replace(_MIDDLE_DOT, "")
