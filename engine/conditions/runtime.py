"""What compiled JMESPath code calls at run time: the library's semantics, one small helper each.

The generated code handles the common JSON shapes inline (a dict for a field, a str for a string
function) and calls these helpers for everything else; each helper is a line-for-line match of the
corresponding ``jmespath.visitor.TreeInterpreter`` step, so the rare paths stay exactly the
library's, down to which exception is raised.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jmespath import visitor

from engine.conditions.functions import FUNCTIONS, address_in_networks, arn_part, is_private_address

__all__ = ["NAMESPACE", "is_truthy"]

# The library's own number test (a bool is not a number), reused so that ``!0`` stays exact.
_is_actual_number: Callable[[Any], bool] = visitor._is_actual_number  # type: ignore[attr-defined]

# Classes whose Python truthiness is exactly JMESPath's: only 0 and 0.0 differ (true in JMESPath).
PLAIN_TRUTH = frozenset({str, list, dict, bool, type(None)})
# JSON classes that have no ``get``/``values``: field and value-projection give null without a try.
_NO_MAPPING = frozenset({str, list, int, float, bool, type(None)})
ORDERABLE = frozenset({int, float, str})
# Classes that never take part in the library's 0/1-versus-false/true exception to ``==``.
_NOT_NUMBER = frozenset({bool, str, list, dict, type(None)})
_NO_VALUES = object()


def is_truthy(value: Any) -> bool:
    """JMESPath truthiness: false, null, "", [] and {} are false; everything else, 0 included, is true."""
    if value.__class__ in PLAIN_TRUTH:
        return bool(value)
    if value.__class__ is int or value.__class__ is float:
        return True
    # The library's own test, for values that are not plain JSON (dict subclasses and the like).
    return not (value == "" or value == [] or value == {} or value is None or value is False)


def field(value: Any, name: str) -> Any:
    """``value.name`` for anything but a plain dict (the generated code reads dicts inline)."""
    if value.__class__ in _NO_MAPPING:
        return None
    try:
        return value.get(name)
    except AttributeError:
        return None


def index(value: Any, position: int) -> Any:
    if not isinstance(value, list):
        return None
    try:
        return value[position]
    except IndexError:
        return None


def slice_(value: Any, bounds: slice) -> Any:
    """Slicing a list; a zero step raises Python's ValueError, as the library does."""
    if not isinstance(value, list):
        return None
    return value[bounds]


def flatten(value: Any) -> Any:
    if not isinstance(value, list):
        return None
    merged: list[Any] = []
    for element in value:
        if isinstance(element, list):
            merged.extend(element)
        else:
            merged.append(element)
    return merged


def values(value: Any) -> Any:
    """``value.values()`` for a value projection, or the NO_VALUES marker when there are none."""
    if value.__class__ in _NO_MAPPING:
        return _NO_VALUES
    try:
        return value.values()
    except AttributeError:
        return _NO_VALUES


def not_(value: Any) -> bool:
    """``!value``: Python's ``not`` except that a number equal to zero is true, so ``!0`` is false."""
    if _is_actual_number(value) and value == 0:
        return False
    return not value


class Expression(visitor._Expression):
    """An expression reference (``&expr``) whose body is a compiled function.

    Named and shaped like the library's ``_Expression`` because the functions that take one
    (``sort_by``, ``map``, ...) check the argument's class name and call ``visit``.
    """

    def __init__(self, expression: Any, body: Callable[[Any], Any]) -> None:
        self.expression = expression
        self._body = body

    def visit(self, node: Any, *args: Any, **kwargs: Any) -> Any:
        return self._body(args[0])


Expression.__name__ = Expression.__qualname__ = "_Expression"

# The names generated code sees as globals.
NAMESPACE: dict[str, Any] = {
    "_field": field,
    "_index": index,
    "_slice": slice_,
    "_flatten": flatten,
    "_values": values,
    "_NO_VALUES": _NO_VALUES,
    "_comparable": visitor._is_comparable,  # type: ignore[attr-defined]  # private: reused to stay exact
    "_ORDERABLE": ORDERABLE,
    "_NOT_NUMBER": _NOT_NUMBER,
    "_PLAIN_TRUTH": PLAIN_TRUTH,
    "_truthy": is_truthy,
    "_not": not_,
    "_equals": visitor._equals,  # type: ignore[attr-defined]  # private: reused to stay exact
    "_Expression": Expression,
    "_call": FUNCTIONS.call_function,
    "_SIZED": frozenset({str, list, dict}),
    "_in_networks": address_in_networks,
    "_is_private": is_private_address,
    "_arn_part": arn_part,
}
