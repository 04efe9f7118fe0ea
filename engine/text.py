"""Text that reaches a person's terminal: names and values from input an attacker may shape (a
file name, a user agent, a rule id) are shown, never obeyed. Control characters — C0 (but tab),
DEL, C1, the Unicode line and paragraph separators, and so ESC and every ANSI sequence — are
written as visible escapes."""

from __future__ import annotations

import re

_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


def printable(text: str) -> str:
    """`text` with each control character replaced by its `\\xNN` / `\\uNNNN` escape."""
    return _CONTROL.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
