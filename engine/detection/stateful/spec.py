"""What a stateful rule asks for, compiled once at load time: the kind of window, its length, the
group key, the member rules and the condition. Every mistake a rule can make here (a JMESPath
typo in a key, a value_count without a field, a condition a temporal rule cannot take) is a
located RuleError when the rules load — never something found per event."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from engine.detection.conditions import ConditionCompiler
from engine.detection.stateful.clock import parse_duration
from engine.errors import RuleError
from engine.rules.expressions import Search
from engine.rules.model import Rule
from engine.rules.yaml_source import PathKey

COMPARISONS = ("gt", "gte", "lt", "lte", "eq", "neq")
KINDS = ("dedup", "threshold", "event_count", "value_count", "temporal", "temporal_ordered")


@dataclass(frozen=True, slots=True)
class Condition:
    """Comparisons on a window's count, ANDed (Sigma writes one; `{gte: 5, lt: 50}` is a range)."""

    terms: tuple[tuple[str, int], ...]

    def holds(self, value: int) -> bool:
        return all(_compare(op, value, bound) for op, bound in self.terms)

    @property
    def rising(self) -> bool:
        """True when only gt/gte: once it holds, more events cannot make it false, so a window
        may be reported as soon as it holds instead of waiting for its end."""
        return all(op in ("gt", "gte") for op, _ in self.terms)

    @property
    def needed(self) -> int:
        """For a rising condition: the smallest count that makes it hold."""
        return max(bound + 1 if op == "gt" else bound for op, bound in self.terms)

    def describe(self) -> str:
        return " and ".join(f"{op} {bound}" for op, bound in self.terms)


def _compare(op: str, value: int, bound: int) -> bool:
    if op == "gt":
        return value > bound
    if op == "gte":
        return value >= bound
    if op == "lt":
        return value < bound
    if op == "lte":
        return value <= bound
    if op == "eq":
        return value == bound
    return value != bound


@dataclass(frozen=True, slots=True)
class GroupKey:
    """The JMESPath expressions a window is grouped by, and how an event's group is written: the
    values as canonical JSON, so a key is hashable, storable and the same in every run."""

    exprs: tuple[str, ...]
    searches: tuple[Search, ...]

    def of(self, event: dict[str, Any]) -> str:
        if not self.searches:
            return "[]"
        return canonical([_safe(search, event) for search in self.searches])

    def labels(self, key: str) -> dict[str, Any]:
        """The group as the finding shows it: {expression: value}."""
        return dict(zip(self.exprs, orjson.loads(key), strict=False))


def canonical(value: Any) -> str:
    """JSON with sorted keys: equal values give equal text."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=str).decode()
    except TypeError:  # an integer past 64 bits: orjson refuses, json does not
        return json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))


def _safe(search: Search, event: dict[str, Any]) -> Any:
    try:
        return search(event)
    except Exception:  # a key that cannot be computed groups the event under null, like a missing field
        return None


@dataclass(frozen=True, slots=True)
class StatefulSpec:
    """One stateful operator's definition. `members` are the rules whose matches feed it: the rule
    itself for dedup and threshold, the referenced rules for a correlation."""

    kind: str
    span: float  # seconds: the dedup window, the threshold window or the correlation timespan
    group: GroupKey
    members: tuple[str, ...]
    condition: Condition | None = None
    value: Search | None = None  # value_count: the field whose distinct values are counted
    value_expr: str | None = None

    @property
    def rising(self) -> bool:
        return self.condition is None or self.condition.rising

    @property
    def fingerprint(self) -> str:
        """Changes whenever the definition does, so state saved under an older definition of the
        rule is dropped rather than misread."""
        text = canonical(
            [
                self.kind,
                self.span,
                self.group.exprs,
                self.members,
                self.condition.terms if self.condition else None,
                self.value_expr,
            ]
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def compile_stateful(rule: Rule, compiler: ConditionCompiler) -> StatefulSpec | None:
    """The rule's stateful part, or None for a plain rule; RuleError (located) when it is wrong."""
    if rule.correlation:
        return _correlation(rule, compiler)
    if rule.dedup and rule.threshold:
        raise RuleError(
            "a rule takes dedup or threshold, not both",
            rule.doc.locate(("threshold",)),
            "a threshold already makes one finding per group per window; drop dedup, or group the threshold",
        )
    if rule.dedup:
        keys = _group(rule.dedup["key"], rule, compiler, ("dedup", "key"))
        return StatefulSpec("dedup", _span(rule, ("dedup", "window"), rule.dedup["window"]), keys, (rule.id,))
    if rule.threshold:
        spec = rule.threshold
        keys = _group(spec.get("group_by", ()), rule, compiler, ("threshold", "group_by"))
        condition = Condition((("gte", int(spec["count"])),))
        span = _span(rule, ("threshold", "window"), spec["window"])
        return StatefulSpec("threshold", span, keys, (rule.id,), condition)
    return None


def _correlation(rule: Rule, compiler: ConditionCompiler) -> StatefulSpec:
    corr: Mapping[str, Any] = rule.correlation or {}
    kind = str(corr["type"])
    members = tuple(str(m) for m in corr["rules"])
    raw_condition: Mapping[str, Any] = corr.get("condition") or {}
    terms = tuple((op, int(raw_condition[op])) for op in COMPARISONS if op in raw_condition)
    field_expr = raw_condition.get("field")
    where = ("condition",)
    if kind in ("temporal", "temporal_ordered") and len(set(members) if kind == "temporal" else members) < 2:
        raise RuleError(f"{_a(kind)} correlation joins at least two rules", rule.doc.locate(("rules",)))
    if field_expr is not None and kind != "value_count":
        raise RuleError(
            f"condition.field is for value_count; {_a(kind)} correlation counts events or rules",
            rule.doc.locate((*where, "field")),
            "drop field, or use type: value_count",
        )
    condition: Condition | None = None
    if kind in ("event_count", "value_count"):
        if not terms:
            raise RuleError(
                f"{_a(kind)} correlation needs a condition with a comparison",
                rule.doc.locate(where if raw_condition else ()),
                "e.g. condition: {gte: 10}",
            )
        condition = Condition(terms)
    elif kind == "temporal":
        condition = _temporal_condition(rule, terms, len(set(members)))
    elif terms:
        raise RuleError(
            "a temporal_ordered correlation takes no condition: every rule must match, in order",
            rule.doc.locate(where),
            "drop condition, or use type: temporal with condition {gte: N} for N of the rules in any order",
        )
    value: Search | None = None
    if kind == "value_count":
        if not field_expr:
            raise RuleError(
                "a value_count correlation needs condition.field: the field whose distinct values are counted",
                rule.doc.locate(where),
                "e.g. condition: {gte: 5, field: requestParameters.clusterName}",
            )
        value = compiler.search(str(field_expr), rule.doc, (*where, "field"))
    keys = _group(corr.get("group-by", ()), rule, compiler, ("group-by",))
    span = _span(rule, ("timespan",), str(corr["timespan"]))
    return StatefulSpec(kind, span, keys, members, condition, value, str(field_expr) if field_expr else None)


def _temporal_condition(rule: Rule, terms: tuple[tuple[str, int], ...], rules: int) -> Condition:
    """Sigma's temporal condition counts the distinct referenced rules seen; by default all of them."""
    if not terms:
        return Condition((("gte", rules),))
    condition = Condition(terms)
    if not condition.rising or not 1 <= condition.needed <= rules:
        raise RuleError(
            f"a temporal condition counts how many of the {rules} rules were seen: use gte or gt, "
            f"between 1 and {rules}",
            rule.doc.locate(("condition",)),
            f"e.g. condition: {{gte: {rules}}} (the default)",
        )
    return condition


def _group(exprs: Any, rule: Rule, compiler: ConditionCompiler, path: PathKey) -> GroupKey:
    texts = tuple(str(e) for e in exprs)
    searches = tuple(compiler.search(text, rule.doc, (*path, i)) for i, text in enumerate(texts))
    return GroupKey(texts, searches)


def _span(rule: Rule, path: PathKey, text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise RuleError(str(exc), rule.doc.locate(path)) from exc


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"
