"""JSON text to Python values: orjson, a nesting limit, and errors that say where and what.

orjson already refuses documents nested deeper than 1024 levels, and it checks that limit in C as it
parses. To enforce our lower limit at no cost we wrap a document in `1024 - max_depth` extra array
levels before parsing: orjson's own check then fires exactly when the document itself is deeper than
`max_depth`. The wrapping is skipped when the document has too few brackets to be that deep — the
common case for a single event — so its usual cost is two byte counts, and for a large file one copy."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import reduce
from itertools import repeat
from operator import getitem
from typing import Any

import orjson

_ORJSON_MAX_DEPTH = 1024
# Beyond this size wrapping (one copy) is cheaper than counting brackets (two passes), and a text this
# large holds more than `max_depth` brackets anyway.
_COUNT_UP_TO = 32 * 1024
_WHITESPACE = re.compile(r"[ \t\r\n]*")
TRUNCATED = "unexpected end of data"
_TRAILING = "unexpected content after document"
_DEPTH = "depth limit exceeded"


class JSONProblem(ValueError):
    """Why a JSON text could not be read, and where (1-based line and column, in characters)."""

    def __init__(self, problem: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.line = line
        self.column = column
        self.truncated = problem == TRUNCATED
        self.trailing = problem == _TRAILING
        self.too_deep = problem.startswith("nested deeper")

    def describe(self, *, single_line: bool = False) -> str:
        """Plain words for a Skip: 'invalid JSON: … at line 3, column 5' (no line for one-line texts)."""
        at = self._position(single_line)
        if self.truncated:
            return f"truncated JSON: the text ends{at} before the document is complete"
        if self.too_deep:
            return f"{self.problem}{at}"
        if self.trailing:
            return f"invalid JSON: more text after a complete JSON value{at}"
        return f"invalid JSON: {self.problem}{at}"

    def _position(self, single_line: bool) -> str:
        if self.column is None:
            return ""
        if single_line or self.line is None:
            return f" at column {self.column:,}"
        return f" at line {self.line:,}, column {self.column:,}"


def loads(data: bytes | str, max_depth: int) -> Any:
    """Parse one JSON document, refusing any nested deeper than `max_depth` levels."""
    if len(data) <= 2 * max_depth or (len(data) <= _COUNT_UP_TO and _brackets(data) <= max_depth):
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise _problem(data, exc) from None
    pad = _ORJSON_MAX_DEPTH - max_depth
    try:
        wrapped = orjson.loads(_wrap(data, pad))
    except orjson.JSONDecodeError as exc:
        if exc.msg.startswith(_DEPTH):
            column = exc.colno - pad if exc.lineno == 1 else exc.colno
            raise JSONProblem(f"nested deeper than {max_depth} levels", exc.lineno, column) from None
        return _loads_plain(data)  # re-parse unwrapped, for an error message about the text itself
    return reduce(getitem, repeat(0, pad), wrapped)


def iter_documents(data: bytes, max_depth: int) -> Iterator[Any]:
    """The documents of a text that may hold several back to back, with or without whitespace
    between them (`{…}{…}`: what Firehose writes to S3 when no delimiter is configured).

    One document goes through orjson; only when orjson reports content after the first document is
    the text walked with the standard library's `raw_decode`, which can start at an offset —
    orjson re-validates the whole input on every call, which would make splitting quadratic."""
    try:
        yield loads(data, max_depth)
        return
    except JSONProblem as problem:
        if not problem.trailing:
            raise
        first_problem = problem
    text = _text(data)
    # like orjson: no NaN or Infinity, and numbers beyond a double are floats, not 4,300-digit ints
    decoder = json.JSONDecoder(parse_constant=_no_constant, parse_int=_int_or_float)
    pos = _skip_space(text, 0)
    first = True
    while pos < len(text):
        value, end = _raw_decode(decoder, text, pos)
        if first and not isinstance(value, dict | list):
            raise first_problem  # `"eventVersion": "1.05", …` is a fragment of an object, not documents
        if _deeper_than(value, max_depth):
            raise _position_problem(text, pos, f"nested deeper than {max_depth} levels")
        yield value
        first = False
        pos = _skip_space(text, end)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _int_or_float(digits: str) -> int | float:
    return int(digits) if len(digits) < 20 else float(digits)


def _deeper_than(value: Any, max_depth: int) -> bool:
    """Walk containers without recursion; only the rare multi-document texts pay for it."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _skip_space(text: str, pos: int) -> int:
    match = _WHITESPACE.match(text, pos)
    return match.end() if match else pos


def _loads_plain(data: bytes | str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise _problem(data, exc) from None


def _raw_decode(decoder: json.JSONDecoder, text: str, pos: int) -> tuple[Any, int]:
    try:
        value, end = decoder.raw_decode(text, pos)
    except json.JSONDecodeError as exc:
        raise JSONProblem(_stdlib_message(exc, text), exc.lineno, exc.colno) from None
    except ValueError as exc:
        raise _position_problem(text, pos, str(exc)) from None
    except RecursionError:
        raise _position_problem(text, pos, "nested too deeply to read") from None
    if _SURROGATE_ESCAPE.search(text, pos, end) and _holds_lone_surrogate(value):
        raise _position_problem(text, pos, "lone surrogate in string")
    return value, end


# The standard library reads an escaped lone surrogate ("\ud800") into a str that is not Unicode;
# orjson refuses such a document, and nothing downstream (findings, formats, sinks) could write one.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _holds_lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(node, dict):
            stack.extend(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def _stdlib_message(exc: json.JSONDecodeError, text: str) -> str:
    if exc.pos >= len(text.rstrip()):
        return TRUNCATED
    return exc.msg[0].lower() + exc.msg[1:]


def _position_problem(text: str, pos: int, problem: str) -> JSONProblem:
    line = text.count("\n", 0, pos) + 1
    column = pos - text.rfind("\n", 0, pos)
    return JSONProblem(problem, line, column)


def _problem(data: bytes | str, exc: orjson.JSONDecodeError) -> JSONProblem:
    if exc.msg.startswith("str is not valid UTF-8") and isinstance(data, bytes | bytearray):
        return _utf8_problem(bytes(data))
    if exc.msg.startswith("Input is a zero-length"):
        return JSONProblem("empty document")
    if exc.msg.startswith(_DEPTH):
        return JSONProblem(f"nested deeper than {_ORJSON_MAX_DEPTH} levels", exc.lineno, exc.colno)
    return JSONProblem(exc.msg, exc.lineno, exc.colno)


def _utf8_problem(data: bytes) -> JSONProblem:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - data.rfind(b"\n", 0, exc.start)
        return JSONProblem(f"not UTF-8 text (byte 0x{data[exc.start]:02x})", line, column)
    return JSONProblem("not UTF-8 text")


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise _utf8_problem(data) from None


def _brackets(data: bytes | str) -> int:
    if isinstance(data, str):
        return data.count("{") + data.count("[")
    return data.count(b"{") + data.count(b"[")


def _wrap(data: bytes | str, pad: int) -> bytes | str:
    if isinstance(data, str):
        return "[" * pad + data + "]" * pad
    return b"[" * pad + data + b"]" * pad
