"""Turning one JMESPath string from a rule into something that runs, or into a precise error.

Lists are bound here: `$name` (JEP-18's variable syntax, which the jmespath library does not
parse yet) is replaced by the list as a JSON literal before parsing, so a rule evaluates exactly
like the expression a reader would write by hand with the values inlined."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from jmespath import exceptions as jmespath_errors
from jmespath import lexer

from engine.conditions.compiler import Bindings, Compiled, compile_tree, parse
from engine.conditions.functions import FUNCTIONS, KNOWN_FUNCTIONS, check_cidr, check_regex

Search = Callable[[Any], Any]
Node = Mapping[str, Any]

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
        text, offset = expression, self.offset
        if len(text) > _SHOWN:  # a window around the offset, not a 10,000-character line
            start = max(0, min(offset - _SHOWN // 2, len(text) - _SHOWN))
            text = (
                ("…" if start else "")
                + text[start : start + _SHOWN]
                + ("…" if start + _SHOWN < len(text) else "")
            )
            offset = offset - start + (1 if start else 0)
        return f"{self.message}\n    {text}\n    {' ' * offset}^"


_SHOWN = 80  # characters of an expression shown above a caret


class ExpressionError(Exception):
    def __init__(self, problem: ExpressionProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def bind_lists(expression: str, lists: Mapping[str, tuple[Any, ...]]) -> str:
    """Replace each `$name` outside string literals with the list's values as a JSON literal:
    the expression a reader would write by hand (kept for explaining a rule; compiling binds a
    placeholder instead, see `_bind_placeholders`)."""
    bound, bindings = _bind_placeholders(expression, lists)
    for placeholder, values in bindings:
        literal = json.dumps(list(values), ensure_ascii=False).replace("`", "\\`")
        bound = bound.replace(_placeholder_literal(placeholder), f"`{literal}`")
    return bound


# A string no rule writes (YAML cannot carry a NUL into a rule), parsed as one short literal and
# swapped for the list in the parsed tree: the library's lexer reads a literal one character at a
# time with string concatenation, 40 s for a list of 190,000 values.
_PLACEHOLDER = "\x00trailwarden-list:"


def _placeholder_literal(placeholder: str) -> str:
    return "`" + json.dumps(placeholder) + "`"


def _bind_placeholders(expression: str, lists: Mapping[str, tuple[Any, ...]]) -> tuple[str, Bindings]:
    """`$name` outside string literals replaced by a placeholder literal, and the values each
    placeholder stands for."""
    out: list[str] = []
    bindings: dict[str, tuple[Any, ...]] = {}
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
            placeholder = _PLACEHOLDER + name
            bindings[placeholder] = tuple(lists[name])
            out.append(_placeholder_literal(placeholder))
            i = found.end()
            continue
        out.append(ch)
        i += 1
    return "".join(out), tuple(bindings.items())


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


# How deep an expression may nest: brackets, `!`, and the operands of a chain of `||`, `&&`, `|`
# or `.` (the parser nests a chain of n operands n levels deep). Real conditions stay under 15; the
# library's recursive parser, and our compiler, would exhaust Python's stack near 300.
MAX_NESTING = 64
# How many parts (fields, literals, operators, calls) one expression may have: Python's compiler
# slows down steeply on the huge functions beyond (3,000 `&&` operands: 1 s). A chain of 600
# comparisons fits; a longer list of alternatives is a rule list and contains().
MAX_NODES = 2_000
_NESTING_HINT = "split the condition with all/any/not, or use a list and contains() for long alternatives"


def compile_search(expression: str, lists: Mapping[str, tuple[Any, ...]]) -> Compiled:
    """Bind lists, parse, check nesting, function names and arity, literal patterns, and compile;
    raise ExpressionError when any fails, so no rule bug is discovered per event."""
    if problem := _nesting_problem(expression):
        raise ExpressionError(problem)
    bound, bindings = _bind_placeholders(expression, lists)
    try:
        tree = parse(bound, bindings)
    except jmespath_errors.ParseError as exc:
        offset = _map_offset(expression, bound, exc.lex_position)
        reason = exc.msg if hasattr(exc, "msg") else str(exc)
        token = f" near {exc.token_value!r}" if exc.token_value not in (None, "") else ""
        raise ExpressionError(ExpressionProblem(f"JMESPath syntax error: {reason}{token}", offset)) from exc
    except jmespath_errors.JMESPathError as exc:
        raise ExpressionError(ExpressionProblem(f"JMESPath error: {exc}", None)) from exc
    if _deeper_than(tree, MAX_NESTING):
        raise ExpressionError(
            ExpressionProblem(f"the expression nests deeper than {MAX_NESTING} levels", None, _NESTING_HINT)
        )
    if (size := sum(1 for _ in _nodes(tree))) > MAX_NODES:
        raise ExpressionError(
            ExpressionProblem(
                f"the expression has {size:,} parts, more than {MAX_NODES:,}", None, _NESTING_HINT
            )
        )
    if problem := _unknown_function_problem(expression, bound, tree):
        raise ExpressionError(problem)
    if problem := _arity_problem(expression, bound, tree):
        raise ExpressionError(problem)
    literal_problem = _literal_argument_problem(tree)
    if literal_problem:
        raise ExpressionError(ExpressionProblem(literal_problem, None, "fix the pattern"))
    return compile_tree(bound, tree, bindings)


def _nesting_problem(expression: str) -> ExpressionProblem | None:
    """Brackets and `!` nested past MAX_NESTING, found in the text before the recursive parser
    sees it. A `!` counts a level until its bracket closes (an over-count for `!a && !b`, which
    no real condition repeats 64 times)."""
    depth = 0
    bangs = [0]  # the `!`s open at each bracket level
    total = 0
    i = 0
    while i < len(expression):
        ch = expression[i]
        if ch in "'\"`":
            i = _literal_end(expression, i)
            continue
        if ch in "([{":
            depth += 1
            bangs.append(0)
        elif ch in ")]}" and depth:
            depth -= 1
            total -= bangs.pop()
        elif ch == "!" and not expression.startswith("!=", i):
            bangs[-1] += 1
            total += 1
        if depth + total > MAX_NESTING:
            return ExpressionProblem(
                f"the expression nests deeper than {MAX_NESTING} levels", i, _NESTING_HINT
            )
        i += 1
    return None


_CHAINS = frozenset({"or_expression", "and_expression"})  # compiled flat, however long (see compiler)


def _deeper_than(tree: Node, most: int) -> bool:
    """Nesting past `most` levels, without recursion; the left spine of a chain of `||` or `&&`
    is one level."""
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > most:
            return True
        kind = node.get("type")
        for number, child in enumerate(node.get("children", ())):
            if isinstance(child, dict):
                same_chain = number == 0 and kind in _CHAINS and child.get("type") == kind
                stack.append((child, depth if same_chain else depth + 1))
    return False


def _nodes(tree: Node) -> Iterator[Node]:
    """Every node of a tree already known to be shallow, in text order."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed([child for child in node.get("children", ()) if isinstance(child, dict)]))


def _unknown_function_problem(expression: str, bound: str, tree: Node) -> ExpressionProblem | None:
    """The first call of a function jmespath does not know (it would fail only when run)."""
    calls = [node for node in _nodes(tree) if node.get("type") == "function_expression"]
    for number, node in enumerate(calls):
        name = str(node["value"])
        if name not in KNOWN_FUNCTIONS:
            return ExpressionProblem(
                f"unknown function {name}()",
                _map_offset(expression, bound, _call_offset(bound, name, number, calls)),
                "see the list of functions in README.md",
            )
    return None


def _arity_problem(expression: str, bound: str, tree: Node) -> ExpressionProblem | None:
    """A call with too few or too many arguments (`cidr_match(sourceIPAddress)`), which the
    library would report only when the expression runs — on every event, as a non-match."""
    calls = [node for node in _nodes(tree) if node.get("type") == "function_expression"]
    for number, node in enumerate(calls):
        name = str(node["value"])
        expected = _arity(name)
        if expected is None:
            continue
        least, most = expected
        given = len(node.get("children", ()))
        if least <= given <= (given if most is None else most):
            continue
        wanted = (
            f"{least}" if least == most else f"at least {least}" if most is None else f"{least} to {most}"
        )
        plural = "" if wanted in ("1", "at least 1") else "s"
        offset = _call_offset(bound, name, number, calls)
        return ExpressionProblem(
            f"{name}() takes {wanted} argument{plural}, {given} given",
            _map_offset(expression, bound, offset),
            "see the list of functions in README.md",
        )
    return None


def _arity(name: str) -> tuple[int, int | None] | None:
    """(least, most) arguments of a function jmespath knows; most is None for variadic ones."""
    entry = FUNCTIONS.FUNCTION_TABLE.get(name)
    if entry is None:
        return None
    signature = entry["signature"]
    if signature and signature[-1].get("variadic"):
        return len(signature), None
    return len(signature), len(signature)


def _call_offset(bound: str, name: str, number: int, calls: list[Node]) -> int | None:
    """Where the call is in the text: the nth call of this name among the calls, by the lexer."""
    nth = sum(1 for node in calls[:number] if node["value"] == name)
    tokens = list(lexer.Lexer().tokenize(bound))
    starts = [
        token["start"]
        for token, following in itertools.pairwise(tokens)
        if token["type"] == "unquoted_identifier" and following["type"] == "lparen" and token["value"] == name
    ]
    return starts[nth] if nth < len(starts) else None


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


def _literal_argument_problem(tree: Any) -> str | None:
    """A bad regular expression or CIDR written literally in a call, found by walking the AST."""
    for node in _nodes(tree):
        check = (
            _LITERAL_CHECKS.get(str(node.get("value"))) if node.get("type") == "function_expression" else None
        )
        children = node.get("children") or []
        if check is not None and len(children) == 2:
            for item in _literal_strings(children[1]):
                if error := check(item):
                    return f"{node['value']}(): {error}"
    return None


def _map_offset(original: str, bound: str, offset: int | None) -> int | None:
    """An offset in the bound text, mapped back to the text the user wrote (before list binding)."""
    if offset is None or original == bound:
        return offset
    return min(offset, len(original))
