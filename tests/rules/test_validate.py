"""Rule loading: every problem is reported with file, line and what to do; bad rules never hide good ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli.main import cli
from engine.detection.build import load_ruleset
from tests.helpers import write_rules

GOOD = """
id: good-rule
title: Good rule
description: A rule that is fine.
severity: low
match: {eventSource: eks.amazonaws.com}
condition: eventName == 'CreateCluster'
"""


def _errors(folder: Path) -> list[str]:
    return [str(e) for e in load_ruleset([folder], bundled=False).errors]


def test_bad_yaml_names_file_and_line(tmp_path: Path) -> None:
    """A YAML syntax error points at the line where the parser stopped."""
    write_rules(tmp_path, "bad.yml", "id: x\ntitle: [unclosed\nseverity: low\n")
    (error,) = _errors(tmp_path)
    assert error.startswith("bad.yml:") or "bad.yml:" in error
    assert ":3:" in error or ":2:" in error
    assert "invalid YAML" in error


def test_schema_error_points_at_the_key(tmp_path: Path) -> None:
    """An unknown key and a bad severity are reported at their own lines."""
    write_rules(
        tmp_path,
        "schema.yml",
        """
        id: schema-rule
        title: t
        description: d
        severity: urgent
        condition: "a"
        colour: blue
        """,
    )
    errors = _errors(tmp_path)
    assert any("schema.yml:4:11" in e and "urgent" in e for e in errors), errors
    assert any("schema.yml:1:1" in e and "unknown key 'colour'" in e for e in errors), errors


def test_condition_tree_error_reports_the_branch_meant(tmp_path: Path) -> None:
    """A condition `all:` given a string reports the `all` branch, not every anyOf alternative."""
    write_rules(
        tmp_path,
        "tree.yml",
        """
        id: tree-rule
        title: t
        description: d
        severity: low
        condition:
          all: "eventName == 'x'"
        """,
    )
    (error,) = _errors(tmp_path)
    assert "tree.yml:6:8" in error
    assert "is not of type 'array'" in error


def test_jmespath_syntax_error_has_line_and_caret(tmp_path: Path) -> None:
    """A JMESPath syntax error names the condition's line and draws a caret under the column."""
    write_rules(
        tmp_path,
        "syntax.yml",
        """
        id: syntax-rule
        title: t
        description: d
        severity: low
        condition: "eventName == == 'x'"
        """,
    )
    (error,) = _errors(tmp_path)
    assert "syntax.yml:5:12: JMESPath syntax error" in error
    assert "^" in error


def test_unknown_list_and_function_and_macro(tmp_path: Path) -> None:
    """$lists, functions and macros are checked at load time, each at its own line."""
    write_rules(
        tmp_path,
        "refs.yml",
        """
        id: list-rule
        title: t
        description: d
        severity: low
        condition: "contains($trusted_roles, userIdentity.arn)"
        ---
        id: function-rule
        title: t
        description: d
        severity: low
        condition: "lowercase(eventName) == 'x'"
        ---
        id: macro-rule
        title: t
        description: d
        severity: low
        condition:
          any:
            - macro: is_root
        """,
    )
    errors = _errors(tmp_path)
    assert any("refs.yml:5:12" in e and "unknown list $trusted_roles" in e for e in errors), errors
    assert any("refs.yml:11:12" in e and "unknown function lowercase()" in e for e in errors), errors
    assert any("refs.yml:19:14" in e and "unknown macro 'is_root'" in e for e in errors), errors


def test_duplicate_id_names_both_places(tmp_path: Path) -> None:
    """A second rule with the same id is an error at its own id line, naming the first."""
    write_rules(tmp_path, "a.yml", GOOD)
    write_rules(tmp_path, "b.yml", GOOD)
    (error,) = _errors(tmp_path)
    assert "b.yml:1:5" in error and "duplicate rule id 'good-rule'" in error and "a.yml:1:5" in error


def test_one_bad_rule_leaves_the_others_loaded(tmp_path: Path) -> None:
    """A malformed rule is reported; the valid rules in the same and other files still compile."""
    write_rules(tmp_path, "mixed.yml", GOOD + "---\nid: broken\ntitle: t\n")
    ruleset = load_ruleset([tmp_path], bundled=False)
    assert [r.id for r in ruleset.rules] == ["good-rule"]
    (error,) = ruleset.errors
    assert "mixed.yml:8:1: missing required keys: description, severity, condition" in str(error)


def test_alias_bomb_and_huge_file_are_refused(tmp_path: Path) -> None:
    """A billion-laughs document and a 50 MB rule file are refused with a reason, not expanded."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    previous = "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [{','.join(['*' + previous] * 9)}]")
        previous = name
    write_rules(tmp_path, "bomb.yml", "\n".join(lines) + "\n")
    big = tmp_path / "big.yml"
    big.write_bytes(b"# " + b"x" * (50 * 1024 * 1024) + b"\n")
    errors = _errors(tmp_path)
    assert any("bomb.yml" in e and "alias bomb" in e for e in errors), errors
    assert any("big.yml" in e and "over the 5 MiB limit" in e for e in errors), errors


@pytest.mark.parametrize("args", [["validate", "--no-bundled"], ["scan", "--no-bundled", "--rules"]])
def test_cli_refuses_invalid_rules_with_exit_2(tmp_path: Path, args: list[str]) -> None:
    """`validate` and `scan` print each problem as file:line:col and exit 2; scan reads nothing."""
    rules = write_rules(
        tmp_path, "r.yml", "id: BAD ID\ntitle: t\ndescription: d\nseverity: low\ncondition: a\n"
    )
    events = tmp_path / "events.json"
    events.write_text('{"Records": []}')
    argv = [*args, str(rules)] + ([str(events)] if args[0] == "scan" else [])
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 2, result.output
    assert "r.yml:1:5: error:" in result.stderr
    assert "lower-case" in result.stderr


def test_bad_literal_regex_and_cidr_are_load_time_errors(tmp_path: Path) -> None:
    """A regex RE2 cannot compile, or a malformed CIDR, written literally, fails validation."""
    write_rules(
        tmp_path,
        "literals.yml",
        """
        id: regex-rule
        title: t
        description: d
        severity: low
        condition: "regex_match(userAgent, '(unclosed')"
        ---
        id: cidr-rule
        title: t
        description: d
        severity: low
        condition: "cidr_match(sourceIPAddress, ['10.0.0.0/8', '300.1.2.0/24'])"
        """,
    )
    errors = _errors(tmp_path)
    assert any("literals.yml:5:12" in e and "regex_match()" in e for e in errors), errors
    assert any("literals.yml:11:12" in e and "cidr_match()" in e and "300.1.2.0/24" in e for e in errors), (
        errors
    )


def test_a_file_named_twice_is_loaded_once(tmp_path: Path) -> None:
    """`validate rules/` names the bundled packs a second time: no duplicate-id errors for that."""
    write_rules(tmp_path, "pack/a.yml", GOOD)
    ruleset = load_ruleset([tmp_path / "pack", tmp_path / "pack" / "a.yml", tmp_path], bundled=False)
    assert ruleset.ok and [r.id for r in ruleset.rules] == ["good-rule"]
