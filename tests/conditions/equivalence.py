"""The check that compiled JMESPath behaves exactly like the jmespath library: reusable by any test.

``assert_equivalent(expression, value)`` runs both, each in two phases (compile, then search), and
requires the same outcome: an error of the same class with the same message in the same phase, or
equal results of identical Python types (``1`` vs ``1.0`` vs ``True``, dict key order included),
and the same truth (``Compiled.matches`` against the library's own truth test).
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from typing import Any

import jmespath
from jmespath.visitor import TreeInterpreter

from engine.conditions.compiler import Compiled, compile_expression, is_truthy
from engine.conditions.functions import OPTIONS

_LIBRARY_TRUTH = TreeInterpreter(OPTIONS)._is_true


@dataclass(frozen=True)
class Outcome:
    """How one evaluator ended: ``phase`` is "compile", "search" or "result"."""

    phase: str
    value: Any = None
    error: BaseException | None = None

    def describe(self) -> str:
        if self.error is not None:
            return f"{self.phase} raised {type(self.error).__name__}: {self.error}"
        return f"result {self.value!r}"


def library_outcome(expression: str, value: Any) -> Outcome:
    """What ``jmespath`` (with trailwarden's functions) does with ``expression`` on ``value``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)  # the legacy literal syntax
        try:
            parsed = jmespath.compile(expression)
        except Exception as error:  # any error is an outcome to compare
            return Outcome("compile", error=error)
    try:
        return Outcome("result", parsed.search(value, options=OPTIONS))
    except Exception as error:
        return Outcome("search", error=error)


@functools.lru_cache(maxsize=1024)
def _compiled(expression: str) -> Compiled:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        return compile_expression(expression)


def compiled_outcome(expression: str, value: Any) -> tuple[Outcome, Compiled | None]:
    """What trailwarden's compiled form does with ``expression`` on ``value``."""
    try:
        compiled = _compiled(expression)
    except Exception as error:
        return Outcome("compile", error=error), None
    try:
        return Outcome("result", compiled.search(value)), compiled
    except Exception as error:
        return Outcome("search", error=error), compiled


def same_json(left: Any, right: Any) -> bool:
    """Equal, with identical Python types all the way down and the same key order."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return list(left) == list(right) and all(same_json(left[key], right[key]) for key in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(map(same_json, left, right))
    if isinstance(left, float) and left != left:  # NaN
        return right != right
    return bool(left == right)


def assert_equivalent(expression: str, value: Any) -> None:
    """Fail unless the compiled expression and the library agree exactly on ``value``."""
    expected = library_outcome(expression, value)
    actual, compiled = compiled_outcome(expression, value)
    context = f"expression {expression!r} on {value!r}"
    assert actual.phase == expected.phase, (
        f"{context}: library {expected.describe()}, compiled {actual.describe()}"
    )
    if expected.error is not None:
        assert type(actual.error) is type(expected.error), (
            f"{context}: library {expected.describe()}, compiled {actual.describe()}"
        )
        assert str(actual.error) == str(expected.error), (
            f"{context}: library {expected.describe()}, compiled {actual.describe()}"
        )
        return
    assert same_json(actual.value, expected.value), (
        f"{context}: library {expected.describe()}, compiled {actual.describe()}"
    )
    truth = _LIBRARY_TRUTH(expected.value)
    assert is_truthy(expected.value) is truth, f"{context}: is_truthy({expected.value!r}) is not {truth}"
    assert compiled is not None
    assert compiled.matches(value) is truth, f"{context}: matches() is not {truth}"
