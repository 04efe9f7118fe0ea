"""Fuzzing the rule loader and the condition compiler: a random rule document or expression is
either valid or refused with an error at its file and line — never an exception of another kind
(RecursionError, OverflowError, TypeError…) — and a compiled condition never takes the scan down."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from engine.detection.build import load_ruleset
from engine.rules.expressions import ExpressionError, compile_search
from tests.fuzz.campaign import campaign, count
from tests.fuzz.test_fuzz_decoding import json_values
from tests.helpers import event

# --- expressions: sequences of JMESPath tokens, most of them plausible ---------------------------

TOKENS = [
    "eventName", "userIdentity", ".", "type", "arn", "requestParameters", "[", "]", "(", ")", "{", "}",
    "[?", "[*]", "[]", "[0]", "[-1]", "[1:2]", "@", "&", ",", ":", "|", "||", "&&", "!", "==", "!=", "<",
    ">=", "'Root'", "`1`", "`null`", '`"x"`', "`[1, \"a\"]`", "$names", "$nope", '"quoted"', "contains(",
    "cidr_match(", "regex_match(", "glob_match(", "not_null(", "length(", "lower(", "arn_account(",
    "starts_with(", "to_string(", "no_such(", "'10.0.0.0/8'", "'(a+)+$'", "'['", "sort_by(", "map(",
    "true", "null", "1", " ",
]  # fmt: skip
expressions = st.one_of(
    st.lists(st.sampled_from(TOKENS), min_size=1, max_size=40).map("".join),
    st.builds(
        lambda t, n: t * n,
        st.sampled_from(["!", "(", "[", "not_null(", "{a:", "a[?", "a || ", "a && "]),
        st.integers(1, 3000),
    ),
    st.text(max_size=60),
)
LISTS = {"names": ("CreateCluster", "DeleteRole", 3, None)}
EVENT = event(userIdentity={"type": "Root", "arn": "arn:aws:iam::111122223333:root"})


@campaign(2.0)
@given(expression=expressions)
def test_an_expression_compiles_or_gives_an_expression_error(expression: str) -> None:
    count("rules: random expressions")
    try:
        compiled = compile_search(expression, LISTS)
    except ExpressionError:
        count("rules: expressions refused")
        return
    count("rules: expressions compiled")
    try:  # what the evaluator does: any error of a condition on an event is that rule's non-match
        compiled.matches(EVENT)
    except RecursionError as exc:  # pragma: no cover - a failure, not a case
        raise AssertionError("a compiled expression recursed") from exc
    except Exception:
        count("rules: expressions raising on an event (counted as no match)")


# --- rule documents -----------------------------------------------------------------------------

KEYS = [
    "id", "title", "description", "severity", "status", "tags", "match", "condition", "exceptions",
    "output", "context", "dedup", "threshold", "tests", "enabled", "generate", "kind", "name", "values",
    "rule", "applies_to", "type", "rules", "timespan", "group-by", "window", "count", "key", "not",
    "all", "any", "macro", "disable",
]  # fmt: skip
VALID = {
    "id": "fuzz-rule",
    "title": "Fuzz",
    "description": "A rule the fuzzer bends.",
    "severity": "low",
    "match": {"eventSource": "eks.amazonaws.com"},
    "condition": "userIdentity.type == 'Root'",
}
leaf_values = st.one_of(
    json_values,
    expressions,
    st.sampled_from(
        ["1h", "0s", "99999999999999999999d", "366d", "367d", "x\n", "low", "list", "rule", "macro"]
    ),
    st.integers(),
)
documents = st.one_of(
    st.dictionaries(st.sampled_from(KEYS), leaf_values, max_size=8),
    st.builds(
        lambda extra: {**VALID, **extra}, st.dictionaries(st.sampled_from(KEYS), leaf_values, max_size=3)
    ),
    st.builds(
        lambda path, value: {**VALID, path[0]: {path[1]: value}},
        st.tuples(
            st.sampled_from(["dedup", "threshold", "match", "context", "condition"]), st.sampled_from(KEYS)
        ),
        leaf_values,
    ),
)
_LOCATED = re.compile(r"^.+\.yml:\d+(:\d+)?: ")


@campaign(0.5)
@given(docs=st.lists(documents, min_size=1, max_size=3))
def test_a_rule_file_loads_or_every_error_is_located(docs: list[dict[str, Any]]) -> None:
    count("rules: random rule files")
    text = "\n---\n".join(json.dumps(doc) for doc in docs)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yml"
        path.write_text(text, encoding="utf-8")
        ruleset = load_ruleset([path], bundled=False)
    for error in ruleset.errors:
        assert _LOCATED.match(str(error)), str(error)
    count("rules: errors, all located", len(ruleset.errors))
    count("rules: rules compiled", len(ruleset.rules))


@campaign(0.5)
@given(cut=st.integers(0, 400), junk=st.text(max_size=30))
def test_a_damaged_rule_file_gives_located_errors(cut: int, junk: str) -> None:
    """A valid rule file with text spliced in: YAML errors, schema errors, all located."""
    count("rules: damaged rule files")
    text = "\n".join(f"{key}: {json.dumps(value)}" for key, value in VALID.items())
    text = text[:cut] + junk + text[cut:]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yml"
        path.write_text(text, encoding="utf-8")
        ruleset = load_ruleset([path], bundled=False)
    for error in ruleset.errors:
        assert _LOCATED.match(str(error)), str(error)
