"""Generated code for function calls: inline fast paths for the functions conditions use most.

Every fast path is guarded by the exact argument classes it handles (``str``, ``list``, ...) and falls
back to the library's ``call_function`` otherwise, which then checks types and arity and raises the
library's error. Literal arguments that need work (a CIDR list, a regex, a glob) are prepared here,
once per expression; a literal the helper rejects (a bad regex) takes the library path, so it fails
when the expression runs, exactly as it does under jmespath.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from engine.conditions.functions import InvalidArgumentError, compile_glob, compile_regex, parse_networks
from engine.conditions.values import ANY, BOOL, PLAIN, Kind, Value

if TYPE_CHECKING:
    from engine.conditions.compiler import Body, Module

Node = Mapping[str, Any]
Inliner = Callable[["Module", "Body", Sequence[Value], Sequence[Node]], "str | None"]

# The kind of what each function returns when the library runs it (for the truth test).
_RETURNS_BOOL = frozenset(
    {"contains", "starts_with", "ends_with", "cidr_match", "is_private_ip", "regex_match", "glob_match"}
)
# str, list, dict or null: values whose Python truth is JMESPath's.
_RETURNS_PLAIN = frozenset(
    {
        "to_string",
        "to_array",
        "join",
        "keys",
        "values",
        "sort",
        "sort_by",
        "map",
        "merge",
        "reverse",
        "type",
        "lower",
        "upper",
        "arn_partition",
        "arn_service",
        "arn_region",
        "arn_account",
        "arn_resource",
    }
)


def emit_call(
    module: Module, body: Body, name: str, arguments: Sequence[Value], nodes: Sequence[Node]
) -> Value:
    """Emit ``name(arguments...)``: inline when a fast path fits, else through the library."""
    target = body.temp()
    inliner = _INLINERS.get(name)
    expression = inliner(module, body, arguments, nodes) if inliner else None
    if expression is None:
        expression = _library_call(name, arguments)
    body.emit(f"{target} = {expression}")
    return Value(target, _result_kind(name))


def _result_kind(name: str) -> Kind:
    if name in _RETURNS_BOOL:
        return BOOL
    return PLAIN if name in _RETURNS_PLAIN else ANY


def _library_call(name: str, arguments: Sequence[Value]) -> str:
    return f"_call({name!r}, [{', '.join(argument.code for argument in arguments)}])"


def _is_string_literal(node: Node) -> bool:
    return node["type"] == "literal" and node["value"].__class__ is str


def _guarded(expression: str, guards: Sequence[str], name: str, arguments: Sequence[Value]) -> str:
    if not guards:
        return expression
    return f"{expression} if {' and '.join(guards)} else {_library_call(name, arguments)}"


def _string_guards(arguments: Sequence[Value], nodes: Sequence[Node]) -> list[str]:
    return [
        f"{argument.code}.__class__ is str"
        for argument, node in zip(arguments, nodes, strict=True)
        if not _is_string_literal(node)
    ]


def _one_string(method: str) -> Inliner:
    """A function of one string that is a str method: lower, upper."""

    def inline(module: Module, body: Body, arguments: Sequence[Value], nodes: Sequence[Node]) -> str | None:
        if len(arguments) != 1:
            return None
        return _guarded(
            f"{arguments[0].code}.{method}()", _string_guards(arguments, nodes), method, arguments
        )

    return inline


def _affix(name: str, method: str) -> Inliner:
    """starts_with / ends_with: two strings."""

    def inline(module: Module, body: Body, arguments: Sequence[Value], nodes: Sequence[Node]) -> str | None:
        if len(arguments) != 2:
            return None
        subject, affix = arguments
        return _guarded(
            f"{subject.code}.{method}({affix.code})", _string_guards(arguments, nodes), name, arguments
        )

    return inline


def _constant_strings(node: Node, value: Value) -> tuple[tuple[str, ...], str | None] | None:
    """The strings of an argument that always holds the same strings, and the guard it needs.

    Two spellings qualify: a JSON literal list (`` `["a", "b"]` ``, also how rule lists are bound)
    and a multi-select list of raw strings (``['a', 'b']``), which is null when the current node is
    null, hence its guard.
    """
    if node["type"] == "literal" and node["value"].__class__ is list:
        items, guard = node["value"], None
    elif node["type"] == "multi_select_list" and all(_is_string_literal(child) for child in node["children"]):
        items = [child["value"] for child in node["children"]]
        guard = f"{value.code} is not None"
    else:
        return None
    if not all(item.__class__ is str for item in items):
        return None
    return tuple(items), guard


def _contains(module: Module, body: Body, arguments: Sequence[Value], nodes: Sequence[Node]) -> str | None:
    if len(arguments) != 2:
        return None
    subject, search = arguments
    generic = _guarded(
        f"{search.code} in {subject.code}",
        [f"({subject.code}.__class__ is list or {subject.code}.__class__ is str)"],
        "contains",
        arguments,
    )
    constant = _constant_strings(nodes[0], subject)
    if constant is None:
        return generic
    # A str in a list of str: set membership. Anything else takes the library's way.
    strings, guard = constant
    members = module.constant(frozenset(strings))
    guards = " and ".join([f"{search.code}.__class__ is str", *([guard] if guard else [])])
    return f"{search.code} in {members} if {guards} else {generic}"


def _length(module: Module, body: Body, arguments: Sequence[Value], nodes: Sequence[Node]) -> str | None:
    if len(arguments) != 1:
        return None
    (subject,) = arguments
    return _guarded(f"len({subject.code})", [f"{subject.code}.__class__ in _SIZED"], "length", arguments)


def _not_null(module: Module, body: Body, arguments: Sequence[Value], nodes: Sequence[Node]) -> str | None:
    if not arguments:
        return None
    expression = "None"
    for argument in reversed(arguments):
        expression = f"{argument.code} if {argument.code} is not None else {expression}"
    return expression


def _to_string(module: Module, body: Body, arguments: Sequence[Value], nodes: Sequence[Node]) -> str | None:
    if len(arguments) != 1:
        return None
    (subject,) = arguments
    return _guarded(subject.code, [f"{subject.code}.__class__ is str"], "to_string", arguments)


def _cidr_match(module: Module, body: Body, arguments: Sequence[Value], nodes: Sequence[Node]) -> str | None:
    if len(arguments) != 2:
        return None
    ip, cidrs = arguments
    if _is_string_literal(nodes[1]):
        texts: str | tuple[str, ...] = nodes[1]["value"]
        guard = None
    else:
        constant = _constant_strings(nodes[1], cidrs)
        if constant is None:
            return None
        texts, guard = constant
    try:
        networks = module.constant(parse_networks(texts))
    except InvalidArgumentError:
        return None
    guards = _string_guards(arguments[:1], nodes[:1]) + ([guard] if guard else [])
    return _guarded(f"_in_networks({ip.code}, {networks})", guards, "cidr_match", arguments)


def _pattern(name: str, compile_pattern: Callable[[str], Callable[[str], bool]]) -> Inliner:
    """regex_match / glob_match with a literal pattern, compiled here once."""

    def inline(module: Module, body: Body, arguments: Sequence[Value], nodes: Sequence[Node]) -> str | None:
        if len(arguments) != 2 or not _is_string_literal(nodes[1]):
            return None
        try:
            matcher = module.constant(compile_pattern(nodes[1]["value"]))
        except InvalidArgumentError:
            return None
        subject = arguments[0]
        return _guarded(
            f"{matcher}({subject.code})",
            _string_guards(arguments[:1], nodes[:1]),
            name,
            arguments,
        )

    return inline


def _is_private_ip(
    module: Module, body: Body, arguments: Sequence[Value], nodes: Sequence[Node]
) -> str | None:
    if len(arguments) != 1:
        return None
    return _guarded(
        f"_is_private({arguments[0].code})", _string_guards(arguments, nodes), "is_private_ip", arguments
    )


def _arn(name: str, part: int) -> Inliner:
    def inline(module: Module, body: Body, arguments: Sequence[Value], nodes: Sequence[Node]) -> str | None:
        if len(arguments) != 1:
            return None
        return _guarded(
            f"_arn_part({arguments[0].code}, {part})", _string_guards(arguments, nodes), name, arguments
        )

    return inline


_INLINERS: dict[str, Inliner] = {
    "contains": _contains,
    "starts_with": _affix("starts_with", "startswith"),
    "ends_with": _affix("ends_with", "endswith"),
    "length": _length,
    "not_null": _not_null,
    "to_string": _to_string,
    "lower": _one_string("lower"),
    "upper": _one_string("upper"),
    "cidr_match": _cidr_match,
    "is_private_ip": _is_private_ip,
    "regex_match": _pattern("regex_match", compile_regex),
    "glob_match": _pattern("glob_match", compile_glob),
    "arn_partition": _arn("arn_partition", 1),
    "arn_service": _arn("arn_service", 2),
    "arn_region": _arn("arn_region", 3),
    "arn_account": _arn("arn_account", 4),
    "arn_resource": _arn("arn_resource", 5),
}
