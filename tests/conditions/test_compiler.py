"""The compiled JMESPath evaluator gives exactly the jmespath library's answers.

Proven on generated CloudTrail-like events against representative expressions, including
trailwarden's own functions, and on cases worth pinning by name (the compliance suite is in
test_compliance.py).
"""

from __future__ import annotations

import pickle
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jmespath import exceptions

from engine.conditions.compiler import compile_expression, is_truthy

from .equivalence import assert_equivalent, library_outcome, same_json

# --- generated events -----------------------------------------------------------------------------

KEYS = [
    "eventName",
    "eventSource",
    "userIdentity",
    "type",
    "arn",
    "sourceIPAddress",
    "requestParameters",
    "resources",
    "ARN",
    "tags",
    "n",
    "a",
    "b",
]
STRINGS = [
    "",
    "Root",
    "AssumedRole",
    "CreateCluster",
    "eks.amazonaws.com",
    "10.1.2.3",
    "8.8.8.8",
    "::ffff:10.0.0.1",
    "2001:db8::1",
    "arn:aws:iam::123456789012:role/deploy-prod",
    "arn:aws:s3:::bucket/key",
    "a",
    "b",
    "0",
    "1.5",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from([0, 1, -1, 2, 0.0, 1.0, 2.5]),
    st.integers(min_value=-5, max_value=5),
    st.sampled_from(STRINGS),
    st.text(alphabet="abAB01.:/*", max_size=6),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(KEYS), inner, max_size=5),
    ),
    max_leaves=20,
)
events = st.fixed_dictionaries(
    {},
    optional={key: json_values for key in KEYS},
)

EXPRESSIONS = [
    "userIdentity.type == 'Root'",
    "userIdentity.type != 'Root'",
    "eventName == `1` || eventName == `true`",
    "n == `0` && !n",
    "n > `1`",
    "n <= a",
    "a < b",
    "!userIdentity",
    "a || b && n",
    "contains(['CreateCluster', 'a'], eventName)",
    'contains(`[1, true, "a"]`, n)',
    "contains(a, b)",
    "starts_with(eventName, 'Cre')",
    "ends_with(a, b)",
    "length(resources) > `1`",
    "length(a)",
    "not_null(a, b, n)",
    "to_string(n)",
    "to_number(a)",
    "type(a)",
    "lower(eventName) == 'createcluster'",
    "upper(a)",
    "cidr_match(sourceIPAddress, '10.0.0.0/8')",
    "cidr_match(sourceIPAddress, ['192.168.0.0/16', '::ffff:0:0/96', '2001:db8::/32'])",
    "cidr_match(a, b)",
    "is_private_ip(sourceIPAddress)",
    "regex_match(eventName, '^Create')",
    "regex_match(a, b)",
    "glob_match(userIdentity.arn, 'arn:aws:iam::*:role/deploy-*')",
    "arn_account(userIdentity.arn)",
    "arn_resource(a)",
    "resources[?type == 'a'].ARN",
    "resources[*].ARN | [0]",
    "resources[].tags[]",
    "resources[1:3]",
    "resources[-1]",
    "requestParameters.*",
    "{name: eventName, ip: sourceIPAddress, n: [n, a]}",
    "[eventName, userIdentity.type][?@]",
    "sort_by(resources, &to_string(n))[].ARN",
    "max_by(resources, &n)",
    "map(&type, resources)",
    "keys(requestParameters)",
    "join(',', resources)",
    "merge(userIdentity, requestParameters)",
    "abs(n)",
    "sum(resources)",
    "sort(a)",
    "reverse(a)",
    "a[?b].n | length(@)",
]


@pytest.mark.parametrize("expression", EXPRESSIONS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event=events)
def test_compiled_equals_library_on_generated_events(expression: str, event: dict[str, Any]) -> None:
    """On random CloudTrail-like events, compiled and library agree on result, type, truth and error."""
    assert_equivalent(expression, event)


@settings(max_examples=200, deadline=None)
@given(value=json_values)
def test_is_truthy_is_the_library_truth(value: Any) -> None:
    """is_truthy agrees with the library: false, null, "", [] and {} are false, 0 is true."""
    assert_equivalent("@", value)


# --- specifics worth pinning by name --------------------------------------------------------------


def test_zero_is_true_and_empty_containers_are_false() -> None:
    """JMESPath truth differs from Python's exactly at 0 (true) and matches it elsewhere."""
    assert is_truthy(0) and is_truthy(0.0) and is_truthy("0") and is_truthy([0])
    assert not any(is_truthy(value) for value in (False, None, "", [], {}))
    assert compile_expression("n || 'fallback'").search({"n": 0}) == 0


def test_one_equals_one_point_zero_but_not_true() -> None:
    """`==` is deep equality where 1 == 1.0, but true never equals 1 at the top level."""
    compiled = compile_expression("a == b")
    assert compiled.search({"a": 1, "b": 1.0}) is True
    assert compiled.search({"a": True, "b": 1}) is False
    assert compiled.search({"a": 0, "b": False}) is False


def test_ordering_of_non_numbers_is_null() -> None:
    """Ordering operators compare numbers and strings; anything else gives null, not an error."""
    compiled = compile_expression("a < b")
    assert compiled.search({"a": 1, "b": 2}) is True
    assert compiled.search({"a": True, "b": 2}) is None
    assert compiled.search({"a": [1], "b": [2]}) is None


def test_function_given_null_raises_type_error_when_it_runs() -> None:
    """A function given null raises JMESPathTypeError from search, not from compilation."""
    compiled = compile_expression("starts_with(userAgent, 'aws-cli')")
    assert compiled.search({"userAgent": "aws-cli/2"}) is True
    with pytest.raises(exceptions.JMESPathTypeError):
        compiled.search({})


def test_unknown_function_and_bad_arity_raise_only_when_reached() -> None:
    """Like the library, an unknown function or wrong arity is an error only on the path that runs."""
    compiled = compile_expression("a || nope(b) || length(a, b)")
    assert compiled.search({"a": "x"}) == "x"
    with pytest.raises(exceptions.UnknownFunctionError):
        compiled.search({})


def test_invalid_literal_regex_fails_when_run_like_the_library() -> None:
    """A bad literal pattern is not a compile error here (the loader checks it); it fails on search."""
    compiled = compile_expression("regex_match(eventName, '(')")
    assert library_outcome("regex_match(eventName, '(')", {"eventName": "x"}).phase == "search"
    with pytest.raises(exceptions.JMESPathError, match="invalid regular expression"):
        compiled.search({"eventName": "x"})


def test_syntax_error_is_the_parsers() -> None:
    """Syntax errors come from the library's parser, with its position."""
    with pytest.raises(exceptions.ParseError) as caught:
        compile_expression("userIdentity.type == ")
    assert caught.value.lex_position == len("userIdentity.type == ")


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("a" + "[*]" * 30, {"a": [[[[1]]]]}),
        ("a" + "[?b]" * 25, {"a": [{"b": True}]}),
        ("(a || " * 60 + "b" + ")" * 60, {"b": 2}),
        ("(a && " * 60 + "b" + ")" * 60, {"a": 1, "b": 2}),
    ],
    ids=["30 projections", "25 filters", "60 nested or", "60 nested and"],
)
def test_deeply_nested_expressions_compile(expression: str, value: Any) -> None:
    """Nesting beyond Python's block limits (20 loops, 100 indents) is split into helper functions."""
    assert "def _f" in compile_expression(expression).source
    assert_equivalent(expression, value)


def test_compiled_expressions_pickle_by_expression() -> None:
    """A Compiled pickles as its expression and recompiles on load, so it can reach worker processes."""
    compiled = compile_expression("userIdentity.type == 'Root'")
    restored = pickle.loads(pickle.dumps(compiled))
    assert restored.expression == compiled.expression
    assert restored.search({"userIdentity": {"type": "Root"}}) is True


def test_expression_references_run_compiled_bodies() -> None:
    """&expr passes a compiled body to sort_by, min_by, max_by and map."""
    value = {"people": [{"age": 30, "name": "b"}, {"age": 20, "name": "a"}]}
    for expression in (
        "sort_by(people, &age)[].name",
        "min_by(people, &age).name",
        "max_by(people, &name).age",
        "map(&name, people)",
        "sort_by(people, &name)",
    ):
        assert_equivalent(expression, value)
    assert same_json(compile_expression("map(&age, people)").search(value), [30, 20])


@pytest.mark.parametrize(
    "expression",
    [
        "contains(['a', 'b'], @)",
        'contains(`["a", "b"]`, @)',
        "contains(['a', 'b'], `1`)",
        "cidr_match(@, ['10.0.0.0/8', '2001:db8::/32'])",
        'cidr_match(@, `["10.0.0.0/8"]`)',
        "cidr_match(@, '10.0.0.0/8')",
        "cidr_match(@, ['10.0.0.0/33'])",
        "regex_match(@, '^1')",
        "glob_match(@, '10.*')",
    ],
)
@pytest.mark.parametrize("value", [None, "a", "10.1.2.3", "2001:db8::5", 1, ["a"], {"a": 1}])
def test_constant_argument_fast_paths_keep_library_behaviour(expression: str, value: Any) -> None:
    """Fast paths for constant lists, CIDRs and patterns agree with the library on every shape,
    including a null current node (where ['a', 'b'] is itself null) and an invalid CIDR."""
    assert_equivalent(expression, value)
