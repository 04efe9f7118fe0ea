"""The compiled JMESPath evaluator gives exactly the jmespath library's answers.

Proven on the official compliance suite (case by case) and on generated CloudTrail-like events
against representative expressions, including trailwarden's own functions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jmespath import exceptions

from engine.conditions.compiler import compile_expression, is_truthy

from .equivalence import assert_equivalent, compiled_outcome, library_outcome, same_json

COMPLIANCE = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "jmespath-compliance"

# The kind of error each compliance case names, as the library raises it, and when.
EXPECTED_ERRORS: dict[str, tuple[str, type[BaseException]]] = {
    "syntax": ("compile", exceptions.ParseError),
    "invalid-type": ("search", exceptions.JMESPathTypeError),
    "invalid-arity": ("search", exceptions.ArityError),
    "unknown-function": ("search", exceptions.UnknownFunctionError),
    "invalid-value": ("search", ValueError),
}


def _compliance_cases() -> list[Any]:
    if not COMPLIANCE.is_dir():
        return []
    cases = []
    for path in sorted([*COMPLIANCE.glob("*.json"), *COMPLIANCE.glob("legacy/*.json")]):
        name = path.relative_to(COMPLIANCE).with_suffix("").as_posix()
        for group_number, group in enumerate(json.loads(path.read_text(encoding="utf-8"))):
            for case_number, case in enumerate(group["cases"]):
                if "result" not in case and "error" not in case:
                    continue  # benchmarks.json: timing cases without an expected answer
                case_id = f"{name}-{group_number}.{case_number}: {case['expression']}"
                cases.append(pytest.param(group["given"], case, id=case_id))
    return cases


COMPLIANCE_CASES = _compliance_cases()


@pytest.mark.shared
@pytest.mark.parametrize(("given", "case"), COMPLIANCE_CASES)
def test_compliance_case(given: Any, case: dict[str, Any]) -> None:
    """Each compliance case: the suite's answer, and exactly the library's result types and errors."""
    expression = case["expression"]
    actual, _ = compiled_outcome(expression, given)
    if "error" in case:
        phase, error_class = EXPECTED_ERRORS[case["error"]]
        assert actual.phase == phase, actual.describe()
        assert isinstance(actual.error, error_class), actual.describe()
    else:
        assert actual.phase == "result", actual.describe()
        assert actual.value == case["result"]
    assert_equivalent(expression, given)


def test_compliance_suite_is_present() -> None:
    """The suite is found beside the repository, or the run says plainly why it is skipped."""
    if not COMPLIANCE.is_dir():
        pytest.skip(f"JMESPath compliance suite not found at {COMPLIANCE} (../shared is absent)")
    assert len(COMPLIANCE_CASES) > 900


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


def test_deeply_nested_expressions_compile() -> None:
    """Nesting beyond Python's block limits is split into helper functions, not refused."""
    projections = "a" + "[*]" * 30
    nested = {"a": [[[[1]]]]}
    assert_equivalent(projections, nested)
    parenthesised = "(" * 60 + "a" + " || b)" * 60
    assert_equivalent(parenthesised, {"b": 2})
    filters = "a" + "[?b]" * 25
    assert_equivalent(filters, {"a": [{"b": True}]})


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
