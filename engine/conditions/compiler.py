"""JMESPath to Python: each expression becomes a plain Python function, generated once from the AST.

The jmespath library walks its AST for every search (4-10 µs); a rule's condition runs once per
(event, rule), so trailwarden turns the AST the library's own parser built into Python source,
straight-line code with one local per node, and runs that. Generated source beat a tree of closures
by 2x on a field comparison (0.09 vs 0.18 µs), because a closure tree pays a call per node.

Semantics are the library's, exactly: every node follows ``jmespath.visitor.TreeInterpreter``,
plain JSON shapes are handled inline and anything else goes through the helpers in ``runtime``
(which copy the library's steps), and a function call that is not inlined, or whose arguments do
not pass an inline fast path's type guard, goes through the library's own ``call_function``, so
type, arity and unknown-function errors are raised by the library's code at the same moment.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from jmespath import parser

from engine.conditions import calls
from engine.conditions.runtime import NAMESPACE, is_truthy
from engine.conditions.values import ANY, BOOL, PLAIN, Value, literal_kind

__all__ = ["Bindings", "Compiled", "compile_expression", "compile_tree", "is_truthy", "parse"]

Node = Mapping[str, Any]

# Python refuses more than 20 nested loops and about 100 indentation levels in one function; a
# subtree deeper than these bounds is emitted as a function of its own and called.
_MAX_LOOPS = 8
_MAX_INDENT = 40


@dataclass(frozen=True, slots=True)
class Compiled:
    """One compiled expression. ``search`` returns what ``jmespath.search`` would; ``matches`` is
    ``is_truthy(search(value))`` with the truth test compiled in (free for a comparison)."""

    expression: str
    search: Callable[[Any], Any]
    matches: Callable[[Any], bool]
    source: str

    bindings: Bindings = ()

    def __reduce__(self) -> tuple[Callable[[str, Bindings], Compiled], tuple[str, Bindings]]:
        # Generated functions do not pickle; worker processes recompile from the expression.
        return compile_expression, (self.expression, self.bindings)


# Literal values put in place of placeholder string literals after parsing: how rule lists are bound
# (engine.rules.expressions), so a list of 190,000 values never goes through the library's lexer,
# which reads a literal one character at a time.
Bindings = tuple[tuple[str, Any], ...]


def parse(expression: str, bindings: Bindings = ()) -> Node:
    """The library's AST of ``expression`` (raising its ``ParseError`` family), with every string
    literal that is a binding's placeholder replaced by the binding's value."""
    tree: Node = parser.Parser().parse(expression).parsed
    if bindings:
        tree = _bind(tree, dict(bindings))
    return tree


def _bind(tree: Node, values: Mapping[str, Any]) -> Node:
    """A copy of ``tree`` with placeholder literals replaced, without recursion (the library's
    parser may have cached the tree, so it is never changed in place)."""
    root = dict(tree)
    stack = [root]
    while stack:
        node = stack.pop()
        if node.get("type") == "literal" and node.get("value").__class__ is str and node["value"] in values:
            node["value"] = list(values[node["value"]])  # a JSON array, as the library parses one
        children = node.get("children")
        if children:
            copies = [dict(child) if isinstance(child, dict) else child for child in children]
            node["children"] = copies
            stack.extend(child for child in copies if isinstance(child, dict))
    return root


def compile_expression(expression: str, bindings: Bindings = ()) -> Compiled:
    """Parse with the library's parser (raising its ``ParseError`` family) and generate the code."""
    return compile_tree(expression, parse(expression, bindings), bindings)


def compile_tree(expression: str, tree: Node, bindings: Bindings = ()) -> Compiled:
    """Generate the code of an AST already parsed (and bound) from ``expression``."""
    module = Module(expression)
    body = module.body()
    result = module.node(body, tree, "value")
    module.add_function("_search", body, f"return {result.code}")
    module.add_function("_matches", body, f"return {_as_bool(result)}")
    source = "\n".join(module.sources) + "\n"
    namespace = module.namespace
    exec(compile(source, f"<jmespath {expression[:200]!r}>", "exec"), namespace)  # our own generated source
    return Compiled(expression, namespace["_search"], namespace["_matches"], source, bindings)


class Body:
    """The statements of one generated function, with the current indentation and loop depth."""

    def __init__(self, module: Module) -> None:
        self.module = module
        self.lines: list[str] = []
        self.indent = 1
        self.loops = 0

    def emit(self, line: str) -> None:
        self.lines.append("    " * self.indent + line)

    def temp(self) -> str:
        return self.module.fresh("t")

    @contextmanager
    def block(self, header: str, loop: bool = False) -> Iterator[None]:
        self.emit(header)
        self.indent += 1
        self.loops += loop
        try:
            yield
        finally:
            self.indent -= 1
            self.loops -= loop

    def too_deep(self) -> bool:
        return self.loops >= _MAX_LOOPS or self.indent >= _MAX_INDENT


class Module:
    """The generated module: its functions' source and the namespace of constants they read."""

    def __init__(self, expression: str) -> None:
        self.expression = expression
        self.namespace: dict[str, Any] = dict(NAMESPACE)
        self.sources: list[str] = []
        self._counter = itertools.count()

    def fresh(self, prefix: str) -> str:
        return f"{prefix}{next(self._counter)}"

    def constant(self, value: Any) -> str:
        """A global name bound to ``value``; for objects Python source cannot spell (or should not)."""
        name = self.fresh("_k")
        self.namespace[name] = value
        return name

    def literal(self, value: Any) -> str:
        """A JSON literal: null, true and false inline, anything else as a constant, so that every
        atom is a plain name (``'a' is None`` would draw a SyntaxWarning) and floats such as
        ``Infinity`` need no spelling."""
        if value is None or value.__class__ is bool:
            return repr(value)
        return self.constant(value)

    def body(self) -> Body:
        return Body(self)

    def add_function(self, name: str, body: Body, final: str) -> None:
        self.sources.append("\n".join([f"def {name}(value):", *body.lines, f"    {final}"]))

    def function(self, node: Node) -> tuple[str, Value]:
        """Emit ``node`` as a separate one-argument function; its name and the kind of its result."""
        name = self.fresh("_f")
        body = self.body()
        result = self.node(body, node, "value")
        self.add_function(name, body, f"return {result.code}")
        return name, Value(name, result.kind)

    def node(self, body: Body, node: Node, current: str) -> Value:
        if body.too_deep():
            name, result = self.function(node)
            target = body.temp()
            body.emit(f"{target} = {name}({current})")
            return Value(target, result.kind)
        emitter = _EMITTERS.get(node["type"])
        if emitter is None:
            raise NotImplementedError(f"JMESPath node {node['type']!r} in {self.expression!r}")
        return emitter(self, body, node, current)

    def sequence(self, body: Body, nodes: Sequence[Node], current: str) -> Value:
        result = Value(current, ANY)
        for child in nodes:
            result = self.node(body, child, result.code)
        return result

    def truth(self, value: Value) -> str:
        """A Python condition that holds exactly when ``value`` is JMESPath-true."""
        if value.kind is not ANY:
            return value.code
        code = value.code
        return f"({code} if {code}.__class__ in _PLAIN_TRUTH else _truthy({code}))"


def _as_bool(value: Value) -> str:
    if value.kind is BOOL:
        return value.code
    if value.kind is PLAIN:
        return f"True if {value.code} else False"
    code = value.code
    return f"(True if {code} else False) if {code}.__class__ in _PLAIN_TRUTH else _truthy({code})"


# --- one emitter per node type ---------------------------------------------------------------------


def _field(module: Module, body: Body, node: Node, current: str) -> Value:
    key = repr(node["value"])
    target = body.temp()
    body.emit(
        f"{target} = {current}.get({key}) if {current}.__class__ is dict "
        f"else None if {current} is None else _field({current}, {key})"
    )
    return Value(target, ANY)


def _current(module: Module, body: Body, node: Node, current: str) -> Value:
    return Value(current, ANY)


def _literal(module: Module, body: Body, node: Node, current: str) -> Value:
    value = node["value"]
    return Value(module.literal(value), literal_kind(value))


def _chain(module: Module, body: Body, node: Node, current: str) -> Value:
    """subexpression, index_expression and pipe: each child reads the previous child's result."""
    return module.sequence(body, node["children"], current)


def _index(module: Module, body: Body, node: Node, current: str) -> Value:
    target = body.temp()
    body.emit(f"{target} = _index({current}, {node['value']!r})")
    return Value(target, ANY)


def _slice(module: Module, body: Body, node: Node, current: str) -> Value:
    target = body.temp()
    bounds = module.constant(slice(*node["children"]))
    body.emit(f"{target} = _slice({current}, {bounds})")
    return Value(target, PLAIN)


def _flatten(module: Module, body: Body, node: Node, current: str) -> Value:
    (child,) = node["children"]
    base = module.node(body, child, current)
    target = body.temp()
    body.emit(f"{target} = _flatten({base.code})")
    return Value(target, PLAIN)


_ORDERING = {"lt": "<", "lte": "<=", "gt": ">", "gte": ">="}


def _comparator(module: Module, body: Body, node: Node, current: str) -> Value:
    left_node, right_node = node["children"]
    left = module.node(body, left_node, current)
    right = module.node(body, right_node, current)
    op = node["value"]
    target = body.temp()
    if op in ("eq", "ne"):
        equal = _equality(left, right, left_node, right_node)
        body.emit(f"{target} = {equal}" if op == "eq" else f"{target} = not ({equal})")
        return Value(target, BOOL)
    guards = [
        f"({side.code}.__class__ in _ORDERABLE or _comparable({side.code}))"
        for side, side_node in ((left, left_node), (right, right_node))
        if not _orderable_literal(side_node)
    ]
    comparison = f"{left.code} {_ORDERING[op]} {right.code}"
    if guards:
        body.emit(f"{target} = {comparison} if {' and '.join(guards)} else None")
    else:
        body.emit(f"{target} = {comparison}")
    return Value(target, PLAIN)


def _equality(left: Value, right: Value, left_node: Node, right_node: Node) -> str:
    """``==`` is Python's, except that a number 0 or 1 never equals false or true (the library's
    ``_equals``). That case needs a bool on one side and a number on the other, so Python's ``==``
    is exact whenever a literal side is neither, or the run-time sides are not bools."""
    literals = [node["value"] for node in (left_node, right_node) if node["type"] == "literal"]
    slow = f"_equals({left.code}, {right.code})"
    if any(not _may_be_bool_number_case(literal) for literal in literals):
        return f"{left.code} == {right.code}"
    if len(literals) == 2:
        return slow
    if any(literal.__class__ is bool for literal in literals):
        # x == true: a bool, a string, a container or null equals it only by being it.
        (other, flag) = (right, left) if left_node["type"] == "literal" else (left, right)
        return f"{other.code} is {flag.code} if {other.code}.__class__ in _NOT_NUMBER else {slow}"
    guards = [
        f"{side.code}.__class__ is not bool"
        for side, node in ((left, left_node), (right, right_node))
        if node["type"] != "literal"
    ]
    return f"{left.code} == {right.code} if {' and '.join(guards)} else {slow}"


def _may_be_bool_number_case(value: Any) -> bool:
    if isinstance(value, bool):
        return True
    return value.__class__ in (int, float) and value in (0, 1)


def _orderable_literal(node: Node) -> bool:
    return node["type"] == "literal" and node["value"].__class__ in (int, float, str)


def _or(module: Module, body: Body, node: Node, current: str) -> Value:
    """``a || b || c``: the first truthy operand, else the last — one flat run of ``if``s however
    long the chain, since the parser nests it one level per operand."""
    return _chain_of(module, body, node, current, "or_expression", "if not {}:")


def _and(module: Module, body: Body, node: Node, current: str) -> Value:
    """``a && b && c``: the first falsy operand, else the last."""
    return _chain_of(module, body, node, current, "and_expression", "if {}:")


def _chain_of(module: Module, body: Body, node: Node, current: str, kind: str, test: str) -> Value:
    operands: list[Node] = []
    while node["type"] == kind:  # ((a || b) || c) || d: walk down the left spine
        left, right = node["children"]
        operands.append(right)
        node = left
    operands.append(node)
    operands.reverse()
    first = module.node(body, operands[0], current)
    target = body.temp()
    body.emit(f"{target} = {first.code}")
    result = Value(target, first.kind)
    for operand in operands[1:]:
        with body.block(test.format(module.truth(result))):
            value = module.node(body, operand, current)
            body.emit(f"{target} = {value.code}")
        result = Value(target, _weakest(result, value))
    return result


def _weakest(left: Value, right: Value) -> Any:
    if left.kind is BOOL and right.kind is BOOL:
        return BOOL
    if left.kind is ANY or right.kind is ANY:
        return ANY
    return PLAIN


def _not(module: Module, body: Body, node: Node, current: str) -> Value:
    (child,) = node["children"]
    operand = module.node(body, child, current)
    target = body.temp()
    code = operand.code
    if operand.kind is ANY:
        body.emit(f"{target} = (not {code}) if {code}.__class__ in _PLAIN_TRUTH else _not({code})")
    else:
        # A PLAIN value is never a number equal to zero (0 is Python-false but JMESPath-true).
        body.emit(f"{target} = not {code}")
    return Value(target, BOOL)


def _multi_select_list(module: Module, body: Body, node: Node, current: str) -> Value:
    target = body.temp()
    with body.block(f"if {current} is None:"):
        body.emit(f"{target} = None")
    with body.block("else:"):
        items = [module.node(body, child, current).code for child in node["children"]]
        body.emit(f"{target} = [{', '.join(items)}]")
    return Value(target, PLAIN)


def _multi_select_dict(module: Module, body: Body, node: Node, current: str) -> Value:
    target = body.temp()
    with body.block(f"if {current} is None:"):
        body.emit(f"{target} = None")
    with body.block("else:"):
        pairs = []
        for pair in node["children"]:
            (child,) = pair["children"]
            pairs.append(f"{pair['value']!r}: {module.node(body, child, current).code}")
        body.emit(f"{target} = {{{', '.join(pairs)}}}")
    return Value(target, PLAIN)


def _projection(module: Module, body: Body, node: Node, current: str) -> Value:
    left_node, right_node = node["children"]
    base = module.node(body, left_node, current)
    target = body.temp()
    with body.block(f"if isinstance({base.code}, list):"):
        _collect(module, body, target, base.code, right_node, None)
    with body.block("else:"):
        body.emit(f"{target} = None")
    return Value(target, PLAIN)


def _value_projection(module: Module, body: Body, node: Node, current: str) -> Value:
    left_node, right_node = node["children"]
    base = module.node(body, left_node, current)
    elements = body.temp()
    target = body.temp()
    body.emit(f"{elements} = {base.code}.values() if {base.code}.__class__ is dict else _values({base.code})")
    with body.block(f"if {elements} is _NO_VALUES:"):
        body.emit(f"{target} = None")
    with body.block("else:"):
        _collect(module, body, target, elements, right_node, None)
    return Value(target, PLAIN)


def _filter_projection(module: Module, body: Body, node: Node, current: str) -> Value:
    left_node, right_node, condition = node["children"]
    base = module.node(body, left_node, current)
    target = body.temp()
    with body.block(f"if isinstance({base.code}, list):"):
        _collect(module, body, target, base.code, right_node, condition)
    with body.block("else:"):
        body.emit(f"{target} = None")
    return Value(target, PLAIN)


def _collect(
    module: Module, body: Body, target: str, elements: str, right: Node, condition: Node | None
) -> None:
    """``target = [right(e) for e in elements if condition(e)]``, dropping nulls (a projection)."""
    if condition is None and right["type"] == "identity":
        body.emit(f"{target} = [e for e in {elements} if e is not None]")
        return
    element = module.fresh("e")
    body.emit(f"{target} = []")
    with body.block(f"for {element} in {elements}:", loop=True):
        if condition is None:
            _append_projected(module, body, target, element, right)
        else:
            test = module.node(body, condition, element)
            with body.block(f"if {module.truth(test)}:"):
                _append_projected(module, body, target, element, right)


def _append_projected(module: Module, body: Body, target: str, element: str, right: Node) -> None:
    projected = module.node(body, right, element)
    with body.block(f"if {projected.code} is not None:"):
        body.emit(f"{target}.append({projected.code})")


def _expref(module: Module, body: Body, node: Node, current: str) -> Value:
    (child,) = node["children"]
    name, _ = module.function(child)
    target = body.temp()
    body.emit(f"{target} = _Expression({module.constant(child)}, {name})")
    return Value(target, PLAIN)


def _function(module: Module, body: Body, node: Node, current: str) -> Value:
    arguments = [module.node(body, child, current) for child in node["children"]]
    return calls.emit_call(module, body, node["value"], arguments, node["children"])


_EMITTERS: dict[str, Callable[[Module, Body, Node, str], Value]] = {
    "field": _field,
    "current": _current,
    "identity": _current,
    "literal": _literal,
    "subexpression": _chain,
    "index_expression": _chain,
    "pipe": _chain,
    "index": _index,
    "slice": _slice,
    "flatten": _flatten,
    "comparator": _comparator,
    "or_expression": _or,
    "and_expression": _and,
    "not_expression": _not,
    "multi_select_list": _multi_select_list,
    "multi_select_dict": _multi_select_dict,
    "projection": _projection,
    "value_projection": _value_projection,
    "filter_projection": _filter_projection,
    "expref": _expref,
    "function_expression": _function,
}
