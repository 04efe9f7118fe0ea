"""Compile a rule's condition tree (JMESPath leaves under all / any / not, macros by name) into one
Python predicate, once per rule. Leaves are compiled JMESPath; the tree becomes nested closures."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from engine.conditions.compiler import Compiled
from engine.errors import RuleError
from engine.rules.expressions import ExpressionError, Search, compile_search
from engine.rules.model import ConditionTree, Macro
from engine.rules.yaml_source import Document, PathKey

Predicate = Callable[[Any], bool]


class ConditionCompiler:
    """Compiles condition trees for one rule set; macros are compiled once and shared."""

    def __init__(self, lists: Mapping[str, tuple[Any, ...]], macros: Mapping[str, Macro]) -> None:
        self.lists = lists
        self.macros = macros
        self._macro_cache: dict[str, Predicate] = {}
        self._expanding: list[str] = []

    def search(self, expression: str, doc: Document, path: PathKey) -> Search:
        """Compile one JMESPath string found at `path` in `doc`, or raise a located RuleError."""
        return self._compiled(expression, doc, path).search

    def _compiled(self, expression: str, doc: Document, path: PathKey) -> Compiled:
        try:
            return compile_search(expression, self.lists)
        except ExpressionError as exc:
            problem = exc.problem
            raise RuleError(problem.render(expression), doc.locate(path), problem.hint) from exc

    def predicate(self, tree: ConditionTree, doc: Document, path: PathKey) -> Predicate:
        if isinstance(tree, str):
            return self._compiled(tree, doc, path).matches
        if not isinstance(tree, dict) or len(tree) != 1:
            raise RuleError(
                "a condition is a JMESPath string or a mapping with exactly one key",
                doc.locate(path),
                "use all, any, not or macro",
            )
        ((op, arg),) = tree.items()
        if op == "macro":
            return self._macro(str(arg), doc, (*path, "macro"))
        if op == "not":
            inner = self.predicate(arg, doc, (*path, "not"))
            return lambda event: not inner(event)
        if op in ("all", "any") and isinstance(arg, list) and arg:
            parts = tuple(self.predicate(sub, doc, (*path, op, i)) for i, sub in enumerate(arg))
            if len(parts) == 1:
                return parts[0]
            return _all(parts) if op == "all" else _any(parts)
        raise RuleError(f"unknown condition operator {op!r}", doc.locate(path), "use all, any, not or macro")

    def _macro(self, name: str, doc: Document, path: PathKey) -> Predicate:
        if name in self._macro_cache:
            return self._macro_cache[name]
        macro = self.macros.get(name)
        if macro is None:
            known = ", ".join(sorted(self.macros)) or "none defined"
            raise RuleError(
                f"unknown macro {name!r}", doc.locate(path), f"define it with kind: macro; known: {known}"
            )
        if name in self._expanding:
            cycle = " -> ".join([*self._expanding, name])
            raise RuleError(f"macros refer to each other in a loop: {cycle}", macro.location)
        self._expanding.append(name)
        try:
            compiled = self.predicate(macro.condition, macro.doc, ("condition",))
        finally:
            self._expanding.pop()
        self._macro_cache[name] = compiled
        return compiled


def _all(parts: tuple[Predicate, ...]) -> Predicate:
    def check(event: Any) -> bool:
        # An explicit loop, not all(<genexpr>): this runs per event and the generator costs ~2x.
        for part in parts:  # noqa: SIM110
            if not part(event):
                return False
        return True

    return check


def _any(parts: tuple[Predicate, ...]) -> Predicate:
    def check(event: Any) -> bool:
        for part in parts:  # noqa: SIM110 - see _all
            if part(event):
                return True
        return False

    return check
