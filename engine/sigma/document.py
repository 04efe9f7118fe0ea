"""Recognising a Sigma document among rule files, and parsing it with pySigma, errors located.

trailwarden's own YAML reader (positions kept, alias bombs and absurd nesting refused) reads the
file; pySigma parses the data it produced — never the text — so every Sigma rule gets the same
protection and the same `file:line:col` in its errors as a native one. Before pySigma sees a
document, what could make it slow is refused: over-long values and conditions, deep parentheses,
and more values than any real rule has."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import re2
from sigma import exceptions as sigma_errors
from sigma.correlations import SigmaCorrelationRule
from sigma.filters import SigmaFilter
from sigma.policy import SigmaPolicy
from sigma.policy.regex_engine import RegexEngine, RegexPattern
from sigma.rule import SigmaRule

from engine.conditions.sigma_patterns import MAX_PATTERN_CHARS, RE2_OPTIONS
from engine.errors import RuleError
from engine.rules.yaml_source import Document, PathKey

MAX_VALUES = 20_000  # values in one rule's detection; SigmaHQ's largest has a few hundred
MAX_CONDITION_CHARS = 4_000
MAX_PARENTHESES = 32

SigmaDocument = SigmaRule | SigmaCorrelationRule | SigmaFilter

_CLOUDTRAIL_SERVICES = (None, "cloudtrail")


class _QuietRE2(RegexEngine):
    """pySigma checks regular expressions with RE2, whose default options print each bad one on
    stderr; trailwarden reports it, located, instead."""

    def compile(self, pattern: str, flags: int = 0) -> RegexPattern:
        prefix = "".join(f for f, bit in (("i", re.I), ("m", re.M), ("s", re.S)) if flags & bit)
        compiled: RegexPattern = re2.compile(
            f"(?{prefix}){pattern}" if prefix else pattern, options=RE2_OPTIONS
        )
        return compiled

    @property
    def error(self) -> type[Exception]:
        return re2.error  # type: ignore[no-any-return]


POLICY = SigmaPolicy(regex_engine=_QuietRE2())


def is_sigma(data: Any) -> bool:
    """A Sigma rule (`logsource` + `detection`), correlation (`correlation`) or filter (`filter`).

    Native documents say what they are with `kind`, and never carry these keys."""
    if not isinstance(data, dict) or "kind" in data:
        return False
    return (
        ("logsource" in data and "detection" in data)
        or "correlation" in data
        or ("filter" in data and "logsource" in data)
    )


def sigma_kind(data: Mapping[str, Any]) -> str:
    if "correlation" in data:
        return "correlation"
    if "filter" in data and "detection" not in data:
        return "filter"
    return "rule"


def for_cloudtrail(data: Mapping[str, Any]) -> bool:
    """`product: aws` with `service: cloudtrail` or no service. A correlation has no logsource: its
    rules are checked instead."""
    if "correlation" in data:
        return True
    logsource = data.get("logsource")
    if not isinstance(logsource, dict):
        return True  # let pySigma say what is wrong with it
    product = str(logsource.get("product") or "").lower()
    service = logsource.get("service")
    return product == "aws" and (None if service is None else str(service).lower()) in _CLOUDTRAIL_SERVICES


def parse(doc: Document, data: dict[str, Any] | None = None) -> SigmaDocument:
    """The pySigma object for one Sigma document (or for `data`, the document prepared for
    pySigma), or a located RuleError."""
    _refuse_hostile(doc)
    data = doc.data if data is None else data
    kind = sigma_kind(data)
    try:
        parsed: SigmaDocument
        if kind == "correlation":
            parsed = SigmaCorrelationRule.from_dict(data, collect_errors=True, policy=POLICY)
        elif kind == "filter":
            parsed = SigmaFilter.from_dict(data, collect_errors=True, policy=POLICY)
        else:
            parsed = SigmaRule.from_dict(data, collect_errors=True, policy=POLICY)
    except sigma_errors.SigmaError as exc:
        raise located(exc, doc) from exc
    except (TypeError, ValueError, AttributeError, KeyError) as exc:  # pySigma on shapes it did not expect
        raise RuleError(
            f"not a valid Sigma {kind}: {exc!r}", doc.locate(), "see the Sigma specification"
        ) from exc
    errors = list(getattr(parsed, "errors", ()))
    if errors:
        raise located(errors[0], doc)
    return parsed


# Which part of a document each pySigma error is about, when its message does not name a key.
_ERROR_PLACES: dict[str, PathKey] = {
    "SigmaIdentifierError": ("id",),
    "SigmaTitleError": ("title",),
    "SigmaLevelError": ("level",),
    "SigmaStatusError": ("status",),
    "SigmaLogsourceError": ("logsource",),
    "SigmaDateError": ("date",),
    "SigmaModifiedError": ("modified",),
    "SigmaTagError": ("tags",),
    "SigmaReferencesError": ("references",),
    "SigmaFalsePositivesError": ("falsepositives",),
    "SigmaConditionError": ("detection", "condition"),
    "SigmaFilterConditionError": ("filter", "condition"),
    "SigmaCorrelationConditionError": ("correlation", "condition"),
    "SigmaCorrelationTypeError": ("correlation", "type"),
    "SigmaTimespanError": ("correlation", "timespan"),
    "SigmaCorrelationRuleError": ("correlation",),
    "SigmaFilterError": ("filter",),
}


def located(exc: Exception, doc: Document) -> RuleError:
    """A pySigma error as a RuleError at the line it is about."""
    message = str(getattr(exc, "args", [str(exc)])[0] if getattr(exc, "args", None) else exc)
    name = type(exc).__name__
    path = _place_named(message, doc) or _ERROR_PLACES.get(name) or ()
    if name == "SigmaConditionError":
        message = f"invalid condition: {message}"
    if path == () and name in ("SigmaDetectionError", "SigmaModifierError", "SigmaValueError"):
        path = ("detection",)
    return RuleError(f"Sigma: {message}", doc.locate(path), "see https://sigmahq.io/docs/basics/rules.html")


def _place_named(message: str, doc: Document) -> PathKey | None:
    """The deepest key — or value — of the document quoted in the message ('…' or "…"), if any."""
    quoted = set(re.findall(r"'([^']{1,200})'|\"([^\"]{1,200})\"", message))
    names = {a or b for a, b in quoted}
    if not names:
        return None
    best: PathKey | None = None
    for path, value in _walk(doc.data, ()):
        last = path[-1] if path else None
        named = isinstance(last, str) and any(name == last or name in last.split("|") for name in names)
        named = named or (isinstance(value, str) and value in names and path[:1] != ("title",))
        if named and (best is None or len(path) > len(best)):
            best = path
    return best


def _refuse_hostile(doc: Document) -> None:
    data = doc.data
    for count, (path, value) in enumerate(_walk(data, ()), start=1):
        if count > MAX_VALUES:
            raise RuleError(
                f"more than {MAX_VALUES:,} values in one Sigma rule", doc.locate(path), "split the rule"
            )
        if (
            isinstance(value, str)
            and len(value) > MAX_PATTERN_CHARS
            and path[:1]
            in (
                ("detection",),
                ("filter",),
            )
        ):
            raise RuleError(
                f"a value of {len(value):,} characters, over the {MAX_PATTERN_CHARS:,} limit",
                doc.locate(path),
                "Sigma values are patterns; a value this long is refused so it cannot slow a scan",
            )
    for part in ("detection", "filter"):
        section = data.get(part)
        condition = section.get("condition") if isinstance(section, dict) else None
        for index, text in enumerate(condition if isinstance(condition, list) else [condition]):
            if isinstance(text, str):
                _check_condition(
                    text,
                    doc,
                    (part, "condition") if not isinstance(condition, list) else (part, "condition", index),
                )


def _check_condition(text: str, doc: Document, path: PathKey) -> None:
    if len(text) > MAX_CONDITION_CHARS:
        raise RuleError(
            f"a condition of {len(text):,} characters, over the {MAX_CONDITION_CHARS:,} limit",
            doc.locate(path),
        )
    depth = deepest = 0
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        deepest = max(deepest, depth)
    if deepest > MAX_PARENTHESES:
        raise RuleError(
            f"the condition nests parentheses {deepest} deep, over the {MAX_PARENTHESES} limit",
            doc.locate(path),
            "flatten the condition",
        )


def _walk(value: Any, path: PathKey) -> Iterator[tuple[PathKey, Any]]:
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, (*path, index))
