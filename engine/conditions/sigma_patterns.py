"""What Sigma's value comparisons mean, as plain functions the `sigma_*` condition functions call
(engine/sigma/ translates Sigma rules into conditions that call them; this module imports nothing
of trailwarden, so both may use it).

A Sigma pattern is written in Sigma's own string syntax — ``*`` any run of characters, ``?`` one
character, ``\\`` escaping ``*``, ``?`` and itself — and compiled once (cached) into the cheapest
test that gives the same answer: equality, ``startswith``, ``endswith``, ``in``, or an RE2 full match
(linear time, so no pattern can hang a scan). Comparisons ignore case unless ``cased``.

How an event value is compared (Sigma's meaning, and the differences from SQL readings are in
docs/sigma.md):
- a string is compared as itself; a JSON boolean as ``true``/``false``; a number as its JSON text;
- an object as its compact JSON text (``requestParameters|contains: '"s3:GetObject"'``);
- a list matches when one of its elements matches; null (a missing field) never matches.
"""

from __future__ import annotations

import functools
import ipaddress
import math
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import re2

__all__ = [
    "Matcher",
    "cidr_matches",
    "compare_number",
    "compile_pattern",
    "fieldref_matches",
    "keyword_matches",
    "pattern_matches",
    "regex_matches",
    "split_pattern",
    "texts_of",
]

Matcher = Callable[[str], bool]

_CACHE = 8192
MAX_PATTERN_CHARS = 10_000  # a pattern or regular expression longer than this is refused at load time

RE2_OPTIONS = re2.Options()
RE2_OPTIONS.log_errors = False
RE2_OPTIONS.never_capture = True
RE2_OPTIONS.max_mem = 8 << 20  # a pattern whose automaton needs more is refused, not run slowly

MULTI = "*"
SINGLE = "?"


def split_pattern(pattern: str) -> list[str | None]:
    """A Sigma pattern as plain text runs and wildcards: ``None`` stands for ``*``, ``""`` for ``?``.

    A backslash escapes ``*``, ``?`` and ``\\``; before any other character it is a plain backslash
    (Sigma's rule, so ``C:\\Windows`` needs no doubling)."""
    parts: list[str | None] = []
    text: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern) and pattern[i + 1] in "*?\\":
            text.append(pattern[i + 1])
            i += 2
            continue
        if ch in "*?":
            if text:
                parts.append("".join(text))
                text = []
            parts.append(None if ch == MULTI else "")
        else:
            text.append(ch)
        i += 1
    if text:
        parts.append("".join(text))
    return parts


def escape_text(text: str) -> str:
    """Plain text as a Sigma pattern that matches exactly it."""
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")


@functools.lru_cache(maxsize=_CACHE)
def compile_pattern(pattern: str, cased: bool = False) -> Matcher:
    """A test of whether a whole text matches ``pattern`` (case-insensitively unless ``cased``)."""
    parts = split_pattern(pattern)
    if not cased:
        parts = [p.lower() if p else p for p in parts]
    fold: Callable[[str], str] = (lambda s: s) if cased else str.lower
    plain = [p for p in parts if p]
    wild = [p for p in parts if not p]
    if not wild:
        literal = "".join(plain)
        return lambda text: fold(text) == literal
    if all(p is None for p in wild) and len(plain) <= 1:
        word = plain[0] if plain else ""
        if not plain:
            return lambda text: True
        if parts[0] is None and parts[-1] is None and len(parts) == 3:
            return lambda text: word in fold(text)
        if parts[-1] is None and len(parts) == 2:
            return lambda text: fold(text).startswith(word)
        if parts[0] is None and len(parts) == 2:
            return lambda text: fold(text).endswith(word)
    regex = "".join(".*" if p is None else "." if p == "" else re2.escape(p) for p in parts)
    compiled = re2.compile(f"(?s){regex}", options=RE2_OPTIONS)
    fullmatch = compiled.fullmatch
    return lambda text: fullmatch(fold(text)) is not None


def texts_of(value: Any) -> Iterator[str]:
    """The texts a value is compared as: itself, each element of a list, JSON text otherwise."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            if item is not None:
                yield from _text_or_json(item)
    elif value is not None:
        yield from _text_or_json(value)


def _text_or_json(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, bool):
        yield "true" if value else "false"
    elif isinstance(value, int | float):
        yield (
            orjson.dumps(value).decode()
            if not (isinstance(value, float) and math.isinf(value))
            else str(value)
        )
    else:
        try:
            yield orjson.dumps(value).decode()
        except TypeError:  # an integer past 64 bits
            yield str(value)


@functools.lru_cache(maxsize=_CACHE)
def compile_patterns(patterns: tuple[str, ...], cased: bool = False) -> Matcher:
    """One test for a list of alternatives: the plain ones become one set look-up."""
    plain = [split_pattern(p) for p in patterns]
    exact = frozenset(
        "".join(p for p in parts if p) if cased else "".join(p for p in parts if p).lower()
        for parts in plain
        if all(parts) or parts == []
    )
    others = tuple(
        compile_pattern(p, cased)
        for p, parts in zip(patterns, plain, strict=True)
        if not (all(parts) or parts == [])
    )
    if not others:
        if cased:
            return exact.__contains__
        return lambda text: text.lower() in exact

    def matches(text: str) -> bool:
        if (text if cased else text.lower()) in exact:
            return True
        for matcher in others:  # noqa: SIM110  # a loop: any() over a generator costs more per event
            if matcher(text):
                return True
        return False

    return matches


def pattern_matches(value: Any, patterns: str | list[Any], cased: bool = False) -> bool:
    """Sigma equality with wildcards: does any text of ``value`` match any of ``patterns``?"""
    matcher = (
        compile_pattern(patterns, cased)
        if isinstance(patterns, str)
        else compile_patterns(tuple(patterns), cased)
    )
    if isinstance(value, str):
        return matcher(value)
    return any(matcher(text) for text in texts_of(value))


@functools.lru_cache(maxsize=_CACHE)
def compile_sigma_regex(pattern: str) -> Matcher:
    """An unanchored RE2 search (flags are written inline: ``(?i)``, ``(?m)``, ``(?s)``)."""
    search = re2.compile(pattern, options=RE2_OPTIONS).search
    return lambda text: search(text) is not None


def regex_matches(value: Any, pattern: str) -> bool:
    matcher = compile_sigma_regex(pattern)
    if isinstance(value, str):
        return matcher(value)
    return any(matcher(text) for text in texts_of(value))


@functools.lru_cache(maxsize=_CACHE)
def _networks(cidrs: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(c, strict=False) for c in cidrs)


@functools.lru_cache(maxsize=_CACHE)
def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:  # CloudTrail writes service names (`AWS Internal`) where addresses go
        return None


def cidr_matches(value: Any, cidrs: str | list[Any]) -> bool:
    """Is any address of the value inside one of the networks (IPv4 or IPv6, host bits allowed)?"""
    networks = _networks((cidrs,) if isinstance(cidrs, str) else tuple(str(c) for c in cidrs))
    for text in texts_of(value):
        address = _address(text)
        if address is not None and any(address.version == n.version and address in n for n in networks):
            return True
    return False


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return None if math.isnan(number) else number
    return None


def _numbers(value: Any) -> Iterator[float | int]:
    for item in value if isinstance(value, list) else [value]:
        number = _number(item)
        if number is not None:
            yield number


def compare_number(value: Any, op: str, bound: float | int) -> bool:
    """Sigma's numeric comparisons (eq for a number literal, gt/gte/lt/lte for the modifiers): a
    number, or a string holding one; a list when an element compares."""
    for number in _numbers(value):
        if (
            (op == "eq" and number == bound)
            or (op == "gt" and number > bound)
            or (op == "gte" and number >= bound)
            or (op == "lt" and number < bound)
            or (op == "lte" and number <= bound)
        ):
            return True
    return False


def fieldref_matches(value: Any, other: Any, how: str, cased: bool = False) -> bool:
    """``field|fieldref: other``: the field equals (or starts or ends with, or contains) the other
    field's value, case-insensitively; a missing field on either side never matches."""
    for reference in texts_of(other):
        pattern = escape_text(reference)
        if how in ("startswith", "contains"):
            pattern += MULTI
        if how in ("endswith", "contains"):
            pattern = MULTI + pattern
        if pattern_matches(value, pattern, cased):
            return True
    return False


def _leaf_texts(value: Any, depth: int = 0) -> Iterator[str]:
    if depth > 64:  # decoding already bounds nesting; this keeps a hand-built event from recursing forever
        return
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaf_texts(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _leaf_texts(item, depth + 1)
    elif value is not None:
        yield from _text_or_json(value)


def keyword_matches(event: Any, patterns: str | list[Any]) -> bool:
    """A keyword (field-less) search: does any value anywhere in the event match a pattern?"""
    matcher = compile_pattern(patterns) if isinstance(patterns, str) else compile_patterns(tuple(patterns))
    return any(matcher(text) for text in _leaf_texts(event))


def field_values(event: Any, path: str) -> Any:
    """The value at a dotted path, going through lists on the way: `a.items.name` over
    `{"a": {"items": [{"name": "x"}, {"name": "y"}]}}` is `["x", "y"]` (a list matches when an
    element does). Missing anywhere gives null."""
    found: list[Any] = []
    _descend(event, path.split("."), found)
    if not found:
        return None
    if len(found) == 1 and not _through_list(event, path.split(".")):
        return found[0]
    return [item for value in found for item in (value if isinstance(value, list) else [value])]


def _descend(value: Any, keys: list[str], out: list[Any]) -> None:
    if not keys:
        if value is not None:
            out.append(value)
        return
    if isinstance(value, dict):
        if keys[0] in value:
            _descend(value[keys[0]], keys[1:], out)
    elif isinstance(value, list):
        for item in value:
            _descend(item, keys, out)


def _through_list(value: Any, keys: list[str]) -> bool:
    for key in keys[:-1]:
        if isinstance(value, list):
            return True
        if not isinstance(value, dict):
            return False
        value = value.get(key)
    return isinstance(value, list)


def pattern_problem(pattern: str) -> str | None:
    """Why a pattern cannot run (too long, or too large an automaton), or None."""
    if len(pattern) > MAX_PATTERN_CHARS:
        return f"a pattern of {len(pattern):,} characters, over the {MAX_PATTERN_CHARS:,} limit"
    try:
        compile_pattern(pattern)
    except re2.error as error:
        return f"pattern {pattern[:60]!r} cannot be compiled: {_reason(error)}"
    return None


def regex_problem(pattern: str) -> str | None:
    if len(pattern) > MAX_PATTERN_CHARS:
        return f"a regular expression of {len(pattern):,} characters, over the {MAX_PATTERN_CHARS:,} limit"
    try:
        compile_sigma_regex(pattern)
    except re2.error as error:
        return f"invalid regular expression {pattern[:60]!r} (RE2 syntax): {_reason(error)}"
    return None


def _reason(error: Exception) -> str:
    arg = error.args[0] if error.args else "invalid"
    return arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(arg)
