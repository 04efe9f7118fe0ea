"""One Sigma detection item (a field, its modifiers, its values — as pySigma parsed them) as
JMESPath text calling the `sigma_*` condition functions, or a located reason it cannot run.

pySigma has already applied the modifiers: `contains` became wildcards, `base64`/`wide`/`windash`
became the encoded or expanded strings, `re` a regular expression, `cidr` a network, `gt` a
comparison. What is left is to say each value in the condition language, once, at load time."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from sigma import types as st
from sigma.conditions import ConditionAND
from sigma.rule import SigmaDetectionItem

from engine.conditions.sigma_patterns import escape_text, pattern_problem, regex_problem

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_LIST_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

INDEXED = ("eventSource", "eventName")


class Unsupported(Exception):
    """A construct this translation cannot give Sigma's meaning to: reported, never guessed."""


@dataclass(frozen=True, slots=True)
class Leaf:
    """One test of the condition: its JMESPath text, the field it reads, and — for plain equality
    on eventSource or eventName — the values that may pin the rule in the index."""

    text: str
    field: str | None
    pin: tuple[str, frozenset[str]] | None = None


# CloudTrail objects that never hold lists on the way down: fields under them are plain paths.
_OBJECT_ROOTS = ("userIdentity", "additionalEventData", "tlsDetails", "serviceEventDetails")


def field_path(name: str) -> str:
    """A Sigma field name (dotted into nested JSON) as JMESPath.

    A plain path when nothing on the way can be a list (one level under the record, or under
    `userIdentity`); deeper — `requestParameters.containerDefinitions.command`, where
    `containerDefinitions` is a list — `sigma_path` walks through lists, as Sigma means."""
    segments = name.split(".")
    if len(segments) <= 2 or segments[0] in _OBJECT_ROOTS:
        return ".".join(seg if _IDENTIFIER.match(seg) else json.dumps(seg) for seg in segments)
    return f"sigma_path(@, {literal(name)})"


def literal(value: object) -> str:
    """A JSON value as a JMESPath literal: a raw string when that is unambiguous, else `…`."""
    if isinstance(value, str) and not any(ch in value for ch in "'\\`") and value.isprintable():
        return f"'{value}'"
    return "`" + json.dumps(value, ensure_ascii=False).replace("`", "\\`") + "`"


def sigma_pattern(value: st.SigmaString) -> str:
    """A parsed Sigma string back in Sigma's pattern syntax (what `sigma_like` reads)."""
    out: list[str] = []
    for part in value.s:
        if isinstance(part, str):
            out.append(escape_text(part))
        elif part == st.SpecialChars.WILDCARD_MULTI:
            out.append("*")
        elif part == st.SpecialChars.WILDCARD_SINGLE:
            out.append("?")
        else:
            raise Unsupported(f"placeholder {part} inside a value")
    return "".join(out)


def _is_plain(value: st.SigmaString) -> bool:
    return all(isinstance(part, str) for part in value.s)


def _plain_text(value: st.SigmaString) -> str:
    return "".join(part for part in value.s if isinstance(part, str))


def _join(texts: list[str], op: str) -> str:
    if len(texts) == 1:
        return texts[0]
    return "(" + f" {op} ".join(texts) + ")"


def item_leaf(item: SigmaDetectionItem) -> Leaf:
    """The JMESPath test of one detection item (an `||` of its values, or `&&` under `|all`)."""
    field = item.field
    subject = "@" if field is None else field_path(field)
    values = list(item.value)
    if not values:
        raise Unsupported("a detection item with no value")
    is_all = item.value_linking is ConditionAND
    groups: list[list[st.SigmaType]] = []
    for value in values:
        expanded = list(value.values) if isinstance(value, st.SigmaExpansion) else [value]
        groups.append(expanded)
    if is_all:
        texts = [_join(_texts(subject, field, group), "||") for group in groups]
        return Leaf(_join(texts, "&&"), field)
    flat = [v for group in groups for v in group]
    text = _join(_texts(subject, field, flat), "||")
    return Leaf(text, field, _pin(field, flat, item))


def _pin(
    field: str | None, values: list[st.SigmaType], item: SigmaDetectionItem
) -> tuple[str, frozenset[str]] | None:
    """Index pins for plain equality on eventSource/eventName, in CloudTrail's own case.

    The index compares exactly; Sigma compares ignoring case. CloudTrail writes every eventSource in
    lower case, so a source pins as its lower-case form; an eventName pins only when written with a
    capital (as AWS spells it: `ConsoleLogin`) — `consolelogin` cannot say which spelling it means,
    and such a rule stays unpinned (it meets every event, and its condition decides)."""
    if field not in INDEXED or (
        item.modifiers and not all(m.__name__ == "SigmaCaseSensitiveModifier" for m in item.modifiers)
    ):
        return None
    if not values or not all(isinstance(v, st.SigmaString) and _is_plain(v) for v in values):
        return None
    texts = [_plain_text(v) for v in values if isinstance(v, st.SigmaString)]
    cased = all(isinstance(v, st.SigmaCasedString) for v in values)
    if field == "eventSource":
        return (field, frozenset(t if cased else t.lower() for t in texts))
    if cased or all(t != t.lower() for t in texts):
        return (field, frozenset(texts))
    return None


def _texts(subject: str, field: str | None, values: list[st.SigmaType]) -> list[str]:
    """JMESPath tests for values that are alternatives; strings of one kind share one call."""
    out: list[str] = []
    plain: list[str] = []
    cased: list[str] = []
    for value in values:
        if isinstance(value, st.SigmaString) and any(isinstance(p, st.Placeholder) for p in value.s):
            out.append(_placeholder(subject, field, value))
        elif isinstance(value, st.SigmaString):
            pattern = sigma_pattern(value)
            if field is None:  # a keyword: found anywhere in a value, as full-text search does
                pattern = ("" if pattern.startswith("*") else "*") + pattern
                pattern += "" if pattern.endswith("*") and not pattern.endswith("\\*") else "*"
            if problem := pattern_problem(pattern):
                raise Unsupported(problem)
            (cased if isinstance(value, st.SigmaCasedString) else plain).append(pattern)
        elif isinstance(value, st.SigmaBool):
            plain.append("true" if value.boolean else "false")
        elif field is None:
            if isinstance(value, st.SigmaNumber):
                plain.append(f"*{value.number}*")
            else:
                raise Unsupported(f"a keyword search with a {type(value).__name__} value")
        else:
            out.append(_typed(subject, field, value))
    function = "sigma_keyword" if field is None else "sigma_like"
    if plain:
        out.insert(0, f"{function}({subject}, {literal(plain[0] if len(plain) == 1 else plain)})")
    if cased:
        if field is None:
            raise Unsupported("a case-sensitive keyword search")
        out.insert(0, f"sigma_like_cased({subject}, {literal(cased[0] if len(cased) == 1 else cased)})")
    return out


def _typed(subject: str, field: str, value: st.SigmaType) -> str:
    if isinstance(value, st.SigmaNull):
        return f"{subject} == null"
    if isinstance(value, st.SigmaExists):
        return f"{subject} {'!=' if value.exists else '=='} null"
    if isinstance(value, st.SigmaNumber):
        return f"sigma_cmp({subject}, 'eq', `{json.dumps(value.number)}`)"
    if isinstance(value, st.SigmaCompareExpression):
        op = {"LT": "lt", "LTE": "lte", "GT": "gt", "GTE": "gte"}[value.op.name]
        return f"sigma_cmp({subject}, '{op}', `{json.dumps(value.number.number)}`)"
    if isinstance(value, st.SigmaRegularExpression):
        return f"sigma_re({subject}, {literal(_regex(value))})"
    if isinstance(value, st.SigmaCIDRExpression):
        return f"sigma_cidr({subject}, {literal(str(value.network))})"
    if isinstance(value, st.SigmaFieldReference):
        how = (
            "contains"
            if value.starts_with and value.ends_with
            else ("startswith" if value.starts_with else "endswith" if value.ends_with else "eq")
        )
        return f"sigma_fieldref({subject}, {field_path(value.field)}, '{how}')"
    raise Unsupported(f"a {type(value).__name__} value on field {field!r}")


def _regex(value: st.SigmaRegularExpression) -> str:
    text = value.regexp.original if value.regexp.original is not None else str(value.regexp)
    flags = "".join(sorted(value.sigma_to_re_flag[f] for f in value.flags))
    pattern = f"(?{flags}){text}" if flags else text
    if problem := regex_problem(pattern):
        raise Unsupported(problem)
    return pattern


def _placeholder(subject: str, field: str | None, value: st.SigmaString) -> str:
    """`field|expand: '%name%'`: the placeholder is the trailwarden list `name` (kind: list), bound
    when the rule compiles; text around it is kept (`'*%name%'`)."""
    holders = [p for p in value.s if isinstance(p, st.Placeholder)]
    if len(holders) != 1 or field is None:
        raise Unsupported("a value with more than one placeholder, or a placeholder in a keyword")
    name = holders[0].name
    if not _LIST_NAME.match(name):
        raise Unsupported(f"placeholder %{name}% is not a usable list name (letters, digits and _)")
    if len(value.s) == 1:
        return f"sigma_like({subject}, ${name})"
    pieces = []
    for part in value.s:
        if isinstance(part, st.Placeholder):
            pieces.append("@")
        elif isinstance(part, str):
            pieces.append(literal(escape_text(part)))
        else:
            pieces.append("'*'" if part == st.SpecialChars.WILDCARD_MULTI else "'?'")
    return f"sigma_like({subject}, map(&join('', [{', '.join(pieces)}]), ${name}))"
