"""Pass two of rule validation: the JSON Schema, with each error placed at its YAML position.

When a value fails an `anyOf` (a condition may be a string or an all/any/not/macro tree),
jsonschema reports every branch; we report the branch the writer evidently meant — the one whose
type and keys fit the value — as cloud-custodian does."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from engine.errors import RuleError
from engine.resources import schema_path
from engine.rules.yaml_source import Document

_KIND_DEFS = {"rule", "list", "macro", "override", "filter", "correlation"}


@cache
def _validator(kind: str) -> Draft202012Validator:
    schema = json.loads(schema_path("rule.schema.json").read_text(encoding="utf-8"))
    root = {**schema, "allOf": [], "$ref": f"#/$defs/{kind}"}
    return Draft202012Validator(root)


def schema_errors(doc: Document) -> Iterator[RuleError]:
    """Every schema problem of one document, most specific first, each with file:line:col."""
    data = doc.data
    if not isinstance(data, dict):
        yield RuleError(
            f"a rule document must be a mapping, not {type(data).__name__}", doc.locate(), "see DESIGN.md"
        )
        return
    kind = data.get("kind", "rule")
    if not isinstance(kind, str) or kind not in _KIND_DEFS:  # a list or a mapping is no kind either
        yield RuleError(
            f"unknown kind {kind!r}", doc.locate(("kind",)), f"use one of {', '.join(sorted(_KIND_DEFS))}"
        )
        return
    yield from _schema_errors(doc, data, kind)
    yield from _duration_errors(doc, data, kind)


def _schema_errors(doc: Document, data: dict[str, Any], kind: str) -> Iterator[RuleError]:
    missing: dict[tuple[str | int, ...], list[str]] = {}
    for error in sorted(_validator(kind).iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        meant = _branch_meant(error)
        path = tuple(meant.absolute_path)
        if meant.validator == "required":  # one message per object listing every missing key
            missing.setdefault(path, []).extend(
                k for k in _listed(meant.validator_value) if k not in _keys(meant.instance)
            )
            continue
        yield RuleError(_describe(meant), doc.locate(path), _hint(meant))
    for path, keys in missing.items():
        where = ".".join(map(str, path))
        noun = "key" if len(keys) == 1 else "keys"
        yield RuleError(
            f"{where + ': ' if where else ''}missing required {noun}: {', '.join(dict.fromkeys(keys))}",
            doc.locate(path),
        )


# The longest window a rule may keep open: a year and a day. Windows live in memory and in the state
# file; beyond this a typo (`window: 99999999999999999999d`) would overflow the clock at scan time.
MAX_WINDOW_SECONDS = 366 * 86400
_DURATION = re.compile(r"([1-9][0-9]*)([smhd])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATIONS = {"rule": (("dedup", "window"), ("threshold", "window")), "correlation": (("timespan",),)}


def _duration_errors(doc: Document, data: dict[str, Any], kind: str) -> Iterator[RuleError]:
    """Windows longer than MAX_WINDOW_SECONDS (their form is the schema's business)."""
    for path in _DURATIONS.get(kind, ()):
        value: Any = data
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        found = _DURATION.fullmatch(value) if isinstance(value, str) else None
        if found is None:
            continue
        digits, unit = found.groups()
        if len(digits) > 12 or int(digits) * _UNIT_SECONDS[unit] > MAX_WINDOW_SECONDS:
            shown = value if len(value) <= 24 else value[:21] + "..."
            yield RuleError(
                f"{'.'.join(path)}: {shown} is longer than the longest window, 366d",
                doc.locate(path),
                "windows run on event time and are kept in memory: use at most 366d",
            )


def _branch_meant(error: ValidationError) -> ValidationError:
    """Descend through anyOf/oneOf to the error of the branch that fits the value's shape."""
    while error.validator in ("anyOf", "oneOf") and error.context:
        branches: dict[int, list[ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(int(sub.schema_path[0]), []).append(sub)
        instance = error.instance
        options = error.validator_value if isinstance(error.validator_value, list) else []
        best = None
        for index, subs in sorted(branches.items()):
            branch = options[index] if index < len(options) else {}
            if _fits(instance, branch):
                best = min(subs, key=lambda e: -len(e.absolute_path))
                break
        if best is None:
            return error
        error = best
    return error


def _fits(instance: Any, branch: Any) -> bool:
    """Does the value have the shape this branch is about (its type, and for objects its key)?"""
    if not isinstance(branch, dict):
        return False
    if "$ref" in branch and branch["$ref"].endswith("/jmespath"):
        return isinstance(instance, str)
    if branch.get("type") == "object":
        required = branch.get("required", [])
        return isinstance(instance, dict) and all(key in instance for key in required)
    if branch.get("type") == "array":
        return isinstance(instance, list)
    return False


def _properties(error: ValidationError) -> dict[str, Any]:
    """The `properties` of the failing schema (jsonschema types it loosely: it may be unset)."""
    schema = error.schema
    props = schema.get("properties", {}) if isinstance(schema, dict) else {}
    return props if isinstance(props, dict) else {}


def _keys(instance: Any) -> set[str]:
    return set(instance) if isinstance(instance, dict) else set()


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _describe(error: ValidationError) -> str:
    where = ".".join(str(p) for p in error.absolute_path)
    prefix = f"{where}: " if where else ""
    if error.validator == "additionalProperties":
        extra = sorted(_keys(error.instance) - set(_properties(error)))
        return f"{prefix}unknown key{'s' if len(extra) > 1 else ''} {', '.join(map(repr, extra))}"
    if error.validator in ("anyOf", "oneOf"):
        return f"{prefix}{_short(error.instance)} is not a valid value here"
    return f"{prefix}{error.message}"


def _hint(error: ValidationError) -> str | None:
    if error.validator == "additionalProperties":
        known = ", ".join(sorted(_properties(error)))
        return f"known keys: {known}"
    if error.validator == "enum":
        return f"use one of {', '.join(map(str, _listed(error.validator_value)))}"
    if error.validator == "pattern" and error.absolute_path and error.absolute_path[-1] == "id":
        return "ids are lower-case letters, digits, '.', '_' and '-'"
    if error.validator in ("anyOf", "oneOf") and error.absolute_path and "condition" in error.absolute_path:
        return "a condition is a JMESPath string or a mapping with one key: all, any, not or macro"
    return None


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."
