"""Text a request may carry: no control characters but tab, newline and carriage return.
PostgreSQL refuses NUL in text (the insert failed with a 500 and the consultation was
lost); the other control characters are never typed by a person. Refused with a 422."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import parse_qsl

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

# C0 controls but \t \n \r, DEL and the C1 controls.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
ERROR_TYPE = "control_character"
MESSAGE_JA = "制御文字(NUL など)は使えません"
# Bounds for integers a client sends (offsets, age filters): beyond them PostgreSQL's
# int4/int8 parameters overflow (a 500, and a reset connection).
MAX_OFFSET = 1_000_000
MAX_DAYS = 36_500
MAX_VERSION = 2**31 - 1  # the version columns are INTEGER (int4)


def has_control_characters(value: str) -> bool:
    return CONTROL_CHARACTERS.search(value) is not None


def _check(value: str) -> str:
    if has_control_characters(value):
        raise PydanticCustomError(ERROR_TYPE, "control characters are not allowed")
    return value


Text = Annotated[str, AfterValidator(_check)]
"""Use for every string field of a request body (``Text | None``, ``list[Text]`` too)."""


def control_character_field(path: str, query_string: bytes) -> list[str] | None:
    """The location (``["path"]`` or ``["query", name]``) of the first control character
    in a request's decoded path or query, or None: a path or query parameter never
    reaches a handler (or the database) with one."""
    if has_control_characters(path):
        return ["path"]
    query = query_string.decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True, encoding="utf-8", errors="replace"):
        if has_control_characters(name) or has_control_characters(value):
            return ["query", name if not has_control_characters(name) else "?"]
    return None
