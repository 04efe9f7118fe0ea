"""Sigma documents among rule files: recognised beside native rules, skipped when not for
CloudTrail, loaded once when shipped twice, and every problem — hostile input included — reported
at its file, line and column while the other rules load."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.detection.build import load_ruleset
from engine.detection.ruleset import RuleSet
from tests.detection.stateful.support import by_rule, call, run, runnable
from tests.helpers import write_rules

ID = "3c3c3c3c-0000-4000-8000-000000000001"

SIGMA = f"""
title: Root console login
id: {ID.upper()}
status: test
description: The root user signed in to the console.
references: [https://example.com/root]
author: someone
tags: [attack.privilege_escalation, attack.t1078.004, attack.initial-access]
logsource: {{product: aws, service: cloudtrail}}
detection:
  selection:
    eventSource: signin.amazonaws.com
    eventName: ConsoleLogin
    userIdentity.type: Root
  filter:
    sourceIPAddress|cidr: 10.0.0.0/8
  condition: selection and not filter
falsepositives: [Break-glass access]
level: informational
"""

NATIVE = """
id: native-rule
title: A native rule
description: Beside Sigma rules.
severity: low
match: {eventSource: signin.amazonaws.com}
condition: "eventName == 'ConsoleLogin'"
"""


def load(folder: Path) -> RuleSet:
    return load_ruleset([folder], bundled=False)


def test_sigma_and_native_documents_share_a_folder_and_a_file(tmp_path: Path) -> None:
    write_rules(tmp_path, "rules/mixed.yml", SIGMA + "---\n" + NATIVE)
    ruleset = load(tmp_path / "rules")
    assert ruleset.ok, [str(e) for e in ruleset.errors]
    assert sorted(r.id for r in ruleset.rules) == [ID, "native-rule"]
    rule = ruleset.get(ID)
    assert rule is not None
    assert rule.sources == frozenset({"signin.amazonaws.com"}) and rule.names == frozenset({"ConsoleLogin"})


def test_a_sigma_finding_carries_the_rule_as_sigma_describes_it(tmp_path: Path) -> None:
    write_rules(tmp_path, "rules/root.yml", SIGMA)
    rules = runnable(load(tmp_path / "rules"))
    root = {"type": "Root", "arn": "arn:aws:iam::111122223333:root", "principalId": "111122223333"}
    hit = call(
        "ConsoleLogin",
        0,
        eventSource="signin.amazonaws.com",
        userIdentity=root,
        sourceIPAddress="198.51.100.1",
    )
    inside = call(
        "ConsoleLogin", 5, eventSource="signin.amazonaws.com", userIdentity=root, sourceIPAddress="10.1.1.1"
    )
    findings, _ = run(rules, [hit, inside])
    (finding,) = by_rule(findings, ID)
    assert finding["title"] == finding["rule_title"] == "Root console login"
    assert finding["severity"] == "info"
    assert finding["tags"] == [
        "attack.privilege_escalation",
        "attack.privilege-escalation",
        "attack.t1078.004",
        "attack.initial-access",
        "attack.initial_access",
    ]
    assert finding["context"] == {"userIdentity.type": "Root"}
    assert finding["event_id"] == hit["eventID"]


def test_files_that_are_not_yaml_are_passed_over_and_counted(tmp_path: Path) -> None:
    write_rules(tmp_path, "rules/root.yml", SIGMA)
    write_rules(tmp_path, "rules/README.md", "# rules\n")
    write_rules(tmp_path, "rules/LICENSE", "Detection Rule License\n")
    ruleset = load(tmp_path / "rules")
    assert ruleset.ok
    assert len(ruleset.parsed.passed_over) == 2
    assert any("2 file(s) under the rule folders are not YAML" in w.message for w in ruleset.warnings)


def test_rules_for_another_log_source_are_skipped_and_counted(tmp_path: Path) -> None:
    windows = SIGMA.replace(
        "{product: aws, service: cloudtrail}", "{product: windows, category: process_creation}"
    )
    s3 = SIGMA.replace("service: cloudtrail", "service: s3").replace(
        ID.upper(), "3c3c3c3c-0000-4000-8000-000000000002"
    )
    bare = SIGMA.replace(", service: cloudtrail", "").replace(
        ID.upper(), "3c3c3c3c-0000-4000-8000-000000000003"
    )
    write_rules(tmp_path, "rules/a.yml", windows)
    write_rules(tmp_path, "rules/b.yml", s3)
    write_rules(tmp_path, "rules/c.yml", bare)
    ruleset = load(tmp_path / "rules")
    assert ruleset.ok
    assert [r.id for r in ruleset.rules] == [
        "3c3c3c3c-0000-4000-8000-000000000003"
    ]  # product aws, no service
    assert len(ruleset.parsed.not_cloudtrail) == 2
    assert any("2 Sigma rule(s) for another log source" in w.message for w in ruleset.warnings)


def test_the_same_rule_in_two_files_loads_once_with_a_note(tmp_path: Path) -> None:
    write_rules(tmp_path, "rules/base/root.yml", SIGMA)
    write_rules(tmp_path, "rules/copy/root.yml", SIGMA)
    ruleset = load(tmp_path / "rules")
    assert ruleset.ok
    assert [r.id for r in ruleset.rules] == [ID]
    (note,) = [w for w in ruleset.warnings if "identically" in w.message]
    assert "base/root.yml" in note.message and note.location is not None
    assert note.location.path.endswith("copy/root.yml")


def test_two_different_rules_with_one_id_are_an_error_naming_both_files(tmp_path: Path) -> None:
    write_rules(tmp_path, "rules/a.yml", SIGMA)
    write_rules(tmp_path, "rules/b.yml", SIGMA.replace("level: informational", "level: high"))
    ruleset = load(tmp_path / "rules")
    (error,) = ruleset.errors
    assert "a.yml" in error.message and error.location is not None and error.location.path.endswith("b.yml")
    assert error.location.line == 2


def test_a_rule_without_an_id_gets_a_stable_one_with_a_warning(tmp_path: Path) -> None:
    write_rules(tmp_path, "rules/a.yml", SIGMA.replace(f"id: {ID.upper()}\n", ""))
    first = load(tmp_path / "rules")
    again = load(tmp_path / "rules")
    (rule,) = first.rules
    assert rule.id.startswith("sigma-") and rule.id == again.rules[0].id
    assert any("has no id" in w.message for w in first.warnings)


@pytest.mark.parametrize(
    ("change", "line", "words"),
    [
        (("eventName: ConsoleLogin", "eventName|utf16le: ConsoleLogin"), 12, "Unknown modifier"),
        (("condition: selection and not filter", "condition: selection and not"), 16, "condition"),
        (("condition: selection and not filter", "condition: selection and not other"), 16, "other"),
        (("sourceIPAddress|cidr: 10.0.0.0/8", "sourceIPAddress|re: '(unclosed'"), 15, "egular expression"),
        (("sourceIPAddress|cidr: 10.0.0.0/8", "sourceIPAddress|cidr: 10.0.0/33"), 15, "CIDR"),
        (("level: informational", "level: severe"), 18, "level"),
        (("sourceIPAddress|cidr: 10.0.0.0/8", "sourceIPAddress|expand: '%a%%b%'"), 15, "placeholder"),
    ],
)
def test_problems_are_reported_at_their_line_and_the_other_rules_load(
    tmp_path: Path, change: tuple[str, str], line: int, words: str
) -> None:
    write_rules(tmp_path, "rules/bad.yml", SIGMA.replace(*change))
    write_rules(tmp_path, "rules/good.yml", NATIVE)
    ruleset = load(tmp_path / "rules")
    (error,) = ruleset.errors
    assert words in error.message
    assert error.location is not None and error.location.path.endswith("bad.yml")
    assert error.location.line == line, str(error)
    assert [r.id for r in ruleset.rules] == ["native-rule"]


def test_hostile_rules_are_refused_with_a_clear_error(tmp_path: Path) -> None:
    """A huge regex, parentheses nested past reason, an alias bomb: each refused at load time."""
    huge = SIGMA.replace("sourceIPAddress|cidr: 10.0.0.0/8", "sourceIPAddress|re: '" + "(a|b)" * 5000 + "'")
    deep = SIGMA.replace("selection and not filter", "(" * 200 + "selection" + ")" * 200)
    nested = "(x{1000}){1000}"
    automaton = SIGMA.replace("sourceIPAddress|cidr: 10.0.0.0/8", f"sourceIPAddress|re: '{nested}'")
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [
        f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]"
        for i in range(1, 9)
    ]
    bomb = (
        "\n".join(lines)
        + "\n"
        + SIGMA.lstrip("\n").replace("userIdentity.type: Root", "userIdentity.type: *a8")
    )
    for name, text, words in (
        ("huge.yml", huge, "over the 10,000 limit"),
        ("deep.yml", deep, "parentheses 200 deep"),
        ("automaton.yml", automaton, "egular expression"),
        ("bomb.yml", bomb, "alias bomb"),
    ):
        write_rules(tmp_path, f"{name}/rule.yml", text)
        ruleset = load(tmp_path / name)
        assert len(ruleset.errors) == 1 and words in ruleset.errors[0].message, (
            name,
            [str(e) for e in ruleset.errors],
        )
        assert ruleset.errors[0].location is not None and ruleset.errors[0].location.line is not None
