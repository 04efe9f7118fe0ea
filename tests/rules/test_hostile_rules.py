"""Rules that cannot take the engine down: each hostile rule is refused by `validate` with an error
at its file and line — never a RecursionError, an OverflowError at scan time, or a rule that passes
and then fails on every event — and a huge list compiles to a set."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import jmespath
import pytest

from engine.conditions import OPTIONS
from engine.detection.build import load_ruleset
from engine.rules.expressions import MAX_NESTING, ExpressionError, compile_search
from tests.cli.conftest import run
from tests.helpers import write_rules

RULE = """id: {id}
title: T
description: D
severity: low
match: {{eventSource: eks.amazonaws.com}}
condition: {condition}
"""

HOSTILE_CONDITIONS = {
    "bangs-500": "!" * 500 + "a",
    "brackets-300": "[" * 300 + "a" + "]" * 300,
    "parens-500": "(" * 500 + "a" + ")" * 500,
    "not-null-300": "not_null(" * 300 + "a" + ")" * 300,
    "braces-300": "{a: " * 300 + "b" + "}" * 300,
    "filters-200": "a[?" * 200 + "b" + "]" * 200,
    "pipes-3000": "|".join(["a"] * 3000),
    "ands-3000": "&&".join(["a"] * 3000),
    "one-argument-cidr": "cidr_match(sourceIPAddress)",
    "three-argument-contains": "contains(a, 'b', 'c')",
    "no-argument-not-null": "not_null()",
}
WORDS = {
    "one-argument-cidr": "cidr_match() takes 2 arguments, 1 given",
    "three-argument-contains": "contains() takes 2 arguments, 3 given",
    "no-argument-not-null": "not_null() takes at least 1 argument, 0 given",
}


def _rule(rule_id: str, condition: str, extra: str = "") -> str:
    return RULE.format(id=rule_id, condition=json.dumps(condition)) + extra


def test_validate_refuses_every_hostile_condition_with_a_located_error(tmp_path: Path) -> None:
    """Through the real command: one file per hostile condition, each refused at line 6 (the
    condition), with what is wrong, exit 2 and no traceback."""
    for name, condition in HOSTILE_CONDITIONS.items():
        write_rules(tmp_path, f"rules/{name}.yml", _rule(name, condition))
    result = run("validate", "--no-bundled", str(tmp_path / "rules"))
    stderr = result.stderr.decode() + result.stdout.decode()
    assert result.returncode == 2, stderr
    assert "Traceback" not in stderr and "RecursionError" not in stderr
    for name in HOSTILE_CONDITIONS:
        assert f"{name}.yml:6:12: error: " in stderr, name
        words = WORDS.get(name, f"deeper than {MAX_NESTING} levels")
        line = next(line for line in stderr.splitlines() if f"{name}.yml:6:12" in line)
        assert words in line or "parts, more than" in line, line


@pytest.mark.parametrize("name", list(HOSTILE_CONDITIONS))
def test_the_compiler_refuses_each_with_an_expression_error(name: str) -> None:
    with pytest.raises(ExpressionError):
        compile_search(HOSTILE_CONDITIONS[name], {})


def test_an_absurd_window_is_refused_at_its_line(tmp_path: Path) -> None:
    """`window: 99999999999999999999d` used to validate and then overflow the clock in `scan`."""
    extra = "dedup: {key: [userIdentity.arn], window: 99999999999999999999d}\n"
    write_rules(tmp_path, "rules/w.yml", _rule("w", "a", extra))
    extra = "threshold: {count: 99999999999999999999, window: 367d}\n"
    write_rules(tmp_path, "rules/t.yml", _rule("t", "a", extra))
    errors = sorted(str(e) for e in load_ruleset([tmp_path / "rules"], bundled=False).errors)
    assert any(e.startswith(f"{tmp_path / 'rules/t.yml'}:7:") and "367d is longer than" in e for e in errors)
    assert any(e.startswith(f"{tmp_path / 'rules/t.yml'}:7:") and "maximum of 1000000" in e for e in errors)
    assert any(
        e.startswith(f"{tmp_path / 'rules/w.yml'}:7:") and "99999999999999999999d is longer" in e
        for e in errors
    )
    result = run("scan", "--no-bundled", "--rules", str(tmp_path / "rules"), str(tmp_path))
    assert result.returncode == 2 and b"OverflowError" not in result.stderr


@pytest.mark.parametrize(
    ("key", "value"),
    [("id", "x\n"), ("tags", ["attack.t1078\n"])],
)
def test_schema_patterns_hold_to_the_true_end_of_the_text(tmp_path: Path, key: str, value: object) -> None:
    """JSON Schema patterns are ECMA regexes, which jsonschema runs with Python's re.search: a
    pattern ending in `$` there accepts a trailing newline (`id: "x\\n"` broke the rules table)."""
    data = {"id": "ok", "title": "T", "description": "D", "severity": "low", "condition": "a", key: value}
    write_rules(tmp_path, "r.yml", json.dumps(data))
    [error] = [str(e) for e in load_ruleset([tmp_path], bundled=False).errors]
    assert "does not match" in error and "r.yml:1:" in error


def test_a_list_of_190000_values_compiles_to_a_set() -> None:
    """The list is bound in the parsed tree, not spelled into the text (the library's lexer reads a
    literal a character at a time: 40 s), and `contains` on it is set membership."""
    values = tuple(f"value-{i}" for i in range(190_000))
    compiled = compile_search("contains($big, eventName)", {"big": values})
    assert compiled.matches({"eventName": "value-189999"}) and not compiled.matches({"eventName": "x"})
    assert "frozenset" in repr({type(v).__name__ for v in compiled.search.__globals__.values()})
    again = pickle.loads(pickle.dumps(compiled))  # what a worker process receives
    assert again.matches({"eventName": "value-7"})


def test_a_long_chain_of_alternatives_compiles_flat_and_agrees_with_the_library() -> None:
    """400 `||` operands (the parser nests them 400 deep, past what a recursive walk survives)
    compile without recursion; they give the library's answer where the library can still run
    (its interpreter recurses), and the plain meaning beyond."""
    for terms in (200, 400):
        expression = " || ".join(f"eventName == 'n{i}'" for i in range(terms))
        compiled = compile_search(expression, {})
        for event in ({"eventName": f"n{terms - 1}"}, {"eventName": "n0"}, {"eventName": "x"}, {}):
            assert compiled.search(event) == (event.get("eventName", "")[1:].isdigit())
            if terms == 200:
                assert compiled.search(event) == jmespath.search(expression, event, options=OPTIONS)
    for terms in (200, 400):
        ands = " && ".join(f"a{i}" for i in range(terms))
        event = {f"a{i}": i + 1 for i in range(terms)}
        assert compile_search(ands, {}).search(event) == terms
        event["a150"] = ""  # JMESPath's falsy values: "", [], {}, false, null (0 is true)
        assert compile_search(ands, {}).search(event) == ""
        if terms == 200:
            assert jmespath.search(ands, event) == ""


def test_a_control_character_in_a_rule_file_is_located(tmp_path: Path) -> None:
    """YAML refuses control characters with a reader error that carries only an offset: the
    error still names the line and column (found by the fuzz campaign)."""
    write_rules(tmp_path, "r.yml", 'id: ok\ntitle: "T\x1f"\n')
    [error] = [str(e) for e in load_ruleset([tmp_path], bundled=False).errors]
    assert error.startswith(f"{tmp_path / 'r.yml'}:2:10: invalid YAML: character U+001F is not allowed")
