"""Output templates: `"cluster {requestParameters.name} created by {userIdentity.arn}"`.

Parsed once per rule into literal text and compiled JMESPath placeholders; `{{` and `}}` stand for
literal braces. A placeholder may itself hold braces (a multiselect hash), so we count depth."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from engine.errors import RuleError
from engine.rules.expressions import Search
from engine.rules.yaml_source import Document, PathKey

UNKNOWN = "unknown"


def split_template(text: str) -> list[tuple[bool, str]]:
    """Split into (is_expression, text) parts; raise ValueError on an unbalanced brace."""
    parts: list[tuple[bool, str]] = []
    buf: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if text.startswith("{{", i) or text.startswith("}}", i):
            buf.append(ch)
            i += 2
            continue
        if ch == "}":
            raise ValueError(f"unmatched '}}' at column {i + 1}")
        if ch != "{":
            buf.append(ch)
            i += 1
            continue
        end = _closing_brace(text, i)
        if buf:
            parts.append((False, "".join(buf)))
            buf = []
        parts.append((True, text[i + 1 : end].strip()))
        i = end + 1
    if buf:
        parts.append((False, "".join(buf)))
    return parts


def _closing_brace(text: str, start: int) -> int:
    depth = 0
    quote = ""
    for i in range(start, len(text)):
        ch = text[i]
        if quote:
            if ch == quote and text[i - 1] != "\\":
                quote = ""
        elif ch in "'\"`":
            quote = ch
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i
    raise ValueError(f"unclosed '{{' at column {start + 1}")


def render_value(value: Any) -> str:
    if value is None:
        return UNKNOWN
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


Compile = Callable[[str, Document, PathKey], Search]


def compile_template(text: str, compile_expr: Compile, doc: Document, path: PathKey) -> Callable[[Any], str]:
    try:
        parts = split_template(text)
    except ValueError as exc:
        raise RuleError(
            f"output template: {exc}", doc.locate(path), "write {{ or }} for a literal brace"
        ) from exc
    pieces: list[str | Search] = []
    for is_expr, chunk in parts:
        if is_expr:
            if not chunk:
                raise RuleError("output template: empty {} placeholder", doc.locate(path))
            pieces.append(compile_expr(chunk, doc, path))
        else:
            pieces.append(chunk)

    def render(event: Any) -> str:
        out: list[str] = []
        for piece in pieces:
            if isinstance(piece, str):
                out.append(piece)
                continue
            try:
                out.append(render_value(piece(event)))
            except Exception:  # a placeholder that raises on this event renders as unknown, never fails
                out.append(UNKNOWN)
        return "".join(out)

    return render
