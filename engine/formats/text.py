"""Text limits without losing the finding: values are cut with a visible marker, never dropped."""

from __future__ import annotations

import re
from typing import Any

import orjson

MARKER = "…[truncated]"
_SURROGATE = re.compile("[\ud800-\udfff]")


def truncate(text: str, limit: int, marker: str = MARKER) -> str:
    """`text` cut to at most `limit` characters, ending in `marker` when anything was cut."""
    if len(text) <= limit:
        return text
    if limit <= len(marker):
        return text[:limit]
    return text[: limit - len(marker)] + marker


def as_text(value: Any) -> str:
    """A value as a string: strings as they are, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SORT_KEYS).decode()
    except (orjson.JSONEncodeError, TypeError):
        return str(value)


def valid_unicode(text: str) -> str:
    """`text` with lone surrogates (which cannot be UTF-8 encoded) replaced by U+FFFD each."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return text


def first_text(*values: Any) -> str | None:
    """The first value that is a string with something other than whitespace in it."""
    for value in values:
        if isinstance(value, str) and value.strip():
            return value
    return None
