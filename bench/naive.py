"""The naive way to run a rule pack, as the yardstick issue 7 sets: every rule as one JMESPath
expression, run by the jmespath library on every event — no index, no compilation to Python.

A rule becomes `match && condition && !(exception || …)`: the match table as equality tests (a list
as `contains`), the condition tree with macros expanded and lists bound as literals (the way the
engine binds them), the rule's exceptions and the filters that apply to it. `&&` stops at the first
falsy part, as a hand-written expression would; a truthy result is a match."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jmespath
from jmespath.parser import ParsedResult

from engine.conditions.functions import OPTIONS
from engine.conditions.runtime import is_truthy
from engine.detection.compiled_rule import CompiledRule
from engine.rules.expressions import bind_lists
from engine.rules.loader import ParsedRules
from engine.rules.model import Macro
from engine.rules.selectors import selects_any


@dataclass(frozen=True, slots=True)
class NaiveRule:
    id: str
    expression: str
    compiled: ParsedResult

    def matches(self, event: dict[str, Any]) -> bool:
        return is_truthy(self.compiled.search(event, options=OPTIONS))


def _literal(value: Any) -> str:
    return "`" + json.dumps(value, ensure_ascii=False).replace("`", "\\`") + "`"


def _path(dotted: str) -> str:
    return ".".join(json.dumps(part) for part in dotted.split("."))


def match_expression(match: Mapping[str, Sequence[Any]]) -> list[str]:
    parts = []
    for key, values in match.items():
        if len(values) == 1:
            parts.append(f"{_path(key)} == {_literal(values[0])}")
        else:
            parts.append(f"contains({_literal(list(values))}, {_path(key)})")
    return parts


def tree_expression(tree: Any, lists: Mapping[str, tuple[Any, ...]], macros: Mapping[str, Macro]) -> str:
    """A condition tree (string, all, any, not, macro) as one JMESPath expression."""
    if isinstance(tree, str):
        return f"({bind_lists(tree, lists)})"
    ((op, arg),) = tree.items()
    if op == "macro":
        return tree_expression(macros[arg].condition, lists, macros)
    if op == "not":
        return f"!{tree_expression(arg, lists, macros)}"
    joiner = " && " if op == "all" else " || "
    return "(" + joiner.join(tree_expression(sub, lists, macros) for sub in arg) + ")"


def naive_rules(rules: Sequence[CompiledRule], parsed: ParsedRules) -> list[NaiveRule]:
    lists = {name: value.values for name, value in parsed.lists.items()}
    out = []
    for compiled in rules:
        rule = compiled.rule
        if rule.correlation:  # joins other rules' findings; nothing to run per event
            continue
        parts = match_expression(rule.match)
        if rule.condition is not None:
            parts.append(tree_expression(rule.condition, lists, parsed.macros))
        exceptions = [tree_expression(e.condition, lists, parsed.macros) for e in rule.exceptions]
        exceptions += [
            tree_expression(f.condition, lists, parsed.macros)
            for f in parsed.filters
            if selects_any(f.applies_to, rule.id, compiled.tags)
        ]
        if exceptions:
            parts.append("!(" + " || ".join(exceptions) + ")")
        expression = " && ".join(parts) or "`true`"
        out.append(NaiveRule(rule.id, expression, jmespath.compile(expression)))
    return out
