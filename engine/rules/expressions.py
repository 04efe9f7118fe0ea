"""Turning one JMESPath string from a rule into something that runs, or into a precise error.

Lists are bound here: `$name` (JEP-18's variable syntax, which the jmespath library does not
parse yet) is replaced by the list as a JSON literal before parsing, so a rule evaluates exactly
like the expression a reader would write by hand with the values inlined."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from jmespath import exceptions as jmespath_errors
from jmespath import parser

from engine.conditions.compiler import Compiled, compile_expression
from engine.conditions.functions import check_cidr, check_regex, unknown_functions

Search = Callable[[Any], Any]

_VARIABLE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True, slots=True)
class ExpressionProblem:
    """What is wrong with an expression, and where in it (0-based character offset)."""

    message: str
    offset: int | None
    hint: str | None = None

    def render(self, expression: str) -> str:
        """The message, then the expression with a caret under the offset (jmespath's habit)."""
        if self.offset is None or "\n" in expression:
            return self.message
        return f"{self.message}\n    {expression}\n    {' ' * self.offset}^"


class ExpressionError(Exception):
    def __init__(self, problem: ExpressionProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def bind_lists(expression: str, lists: Mapping[str, tuple[Any, ...]]) -> str:
    """Replace each `$name` outside string literals with the list's values as a JSON literal."""
    out: list[str] = []
    i = 0
    while i < len(expression):
        ch = expression[i]
        if ch in "'\"`":
            end = _literal_end(expression, i)
            out.append(expression[i:end])
            i = end
            continue
        if ch == "$":
            found = _VARIABLE.match(expression, i)
            if not found:
                raise ExpressionError(ExpressionProblem("'$' must start a list name", i))
            name = found.group(1)
            if name not in lists:
                known = ", ".join(f"${n}" for n in sorted(lists)) or "none defined"
                raise ExpressionError(
                    ExpressionProblem(
                        f"unknown list ${name}", i, f"define it with kind: list; known: {known}"
                    )
                )
            literal = json.dumps(list(lists[name]), ensure_ascii=False).replace("`", "\\`")
            out.append(f"`{literal}`")
            i = found.end()
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _literal_end(text: str, start: int) -> int:
    """Index just past the quoted literal opening at `start` (a backslash escapes the quote)."""
    quote = text[start]
    i = start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == quote:
            return i + 1
        i += 1
    return len(text)


def compile_search(expression: str, lists: Mapping[str, tuple[Any, ...]]) -> Compiled:
    """Bind lists, parse, check function names and literal patterns, and compile; raise
    ExpressionError when any fails, so no rule bug is discovered per event."""
    bound = bind_lists(expression, lists)
    try:
        compiled = compile_expression(bound)
    except jmespath_errors.ParseError as exc:
        offset = _map_offset(expression, bound, exc.lex_position)
        reason = exc.msg if hasattr(exc, "msg") else str(exc)
        token = f" near {exc.token_value!r}" if exc.token_value not in (None, "") else ""
        raise ExpressionError(ExpressionProblem(f"JMESPath syntax error: {reason}{token}", offset)) from exc
    except jmespath_errors.JMESPathError as exc:
        raise ExpressionError(ExpressionProblem(f"JMESPath error: {exc}", None)) from exc
    for name, offset in unknown_functions(bound):
        raise ExpressionError(
            ExpressionProblem(
                f"unknown function {name}()",
                _map_offset(expression, bound, offset),
                "see the list of functions in README.md",
            )
        )
    problem = _literal_argument_problem(parser.Parser().parse(bound).parsed)
    if problem:
        raise ExpressionError(ExpressionProblem(problem, None, "fix the pattern"))
    return compiled


# Functions whose second argument, when written as a literal, can be checked before any event.
_LITERAL_CHECKS = {"regex_match": check_regex, "cidr_match": check_cidr}


def _literal_strings(node: Any) -> list[str]:
    """The strings of a literal argument: `'x'`, a JSON literal list, or a list of raw strings."""
    if node.get("type") == "literal":
        value = node.get("value")
        return [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)]
    if node.get("type") == "multi_select_list":
        return [s for child in node.get("children", []) for s in _literal_strings(child)]
    return []


def _literal_argument_problem(node: Any) -> str | None:
    """A bad regular expression or CIDR written literally in a call, found by walking the AST."""
    if not isinstance(node, dict):
        return None
    check = _LITERAL_CHECKS.get(str(node.get("value"))) if node.get("type") == "function_expression" else None
    children = node.get("children") or []
    if check is not None and len(children) == 2:
        for item in _literal_strings(children[1]):
            if error := check(item):
                return f"{node['value']}(): {error}"
    for child in children:
        if problem := _literal_argument_problem(child):
            return problem
    return None


def _map_offset(original: str, bound: str, offset: int | None) -> int | None:
    """An offset in the bound text, mapped back to the text the user wrote (before list binding)."""
    if offset is None or original == bound:
        return offset
    return min(offset, len(original))
