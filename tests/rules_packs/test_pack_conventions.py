"""What every rule of the bundled packs carries (see issue 3, "Every rule"): a pack prefix, ATT&CK
tactic and technique tags, references, false positives, an output naming actor and resource,
context, and tests with at least one event that must match and one routine twin that must not —
all of which pass through the real `trailwarden test` command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.detection.build import load_ruleset
from engine.detection.compiled_rule import CompiledRule
from engine.detection.ruleset import RuleSet
from tests.helpers import REPO
from tests.rules_packs.scanning import run_cli

PACKS = {"eks": "eks-", "cloudtrail": "ct-"}
TACTICS = {
    "reconnaissance", "resource_development", "initial_access", "execution", "persistence",
    "privilege_escalation", "defense_evasion", "credential_access", "discovery", "lateral_movement",
    "collection", "command_and_control", "exfiltration", "impact",
}  # fmt: skip
TECHNIQUE = re.compile(r"^attack\.t\d{4}(\.\d{3})?$")


@pytest.fixture(scope="module")
def ruleset() -> RuleSet:
    loaded = load_ruleset([REPO / "rules"], bundled=False)
    assert loaded.ok, [str(error) for error in loaded.errors]
    return loaded


def _pack(rule: CompiledRule) -> str:
    return Path(rule.rule.source_file).parent.name


def test_pack_sizes(ruleset: RuleSet) -> None:
    """The EKS pack and the CloudTrail essentials each hold a substantial set of rules."""
    sizes = {pack: sum(1 for rule in ruleset.rules if _pack(rule) == pack) for pack in PACKS}
    assert sizes["eks"] >= 25 and sizes["cloudtrail"] >= 25, sizes


def test_ids_carry_their_pack_prefix(ruleset: RuleSet) -> None:
    """eks-… rules live in rules/eks/, ct-… rules in rules/cloudtrail/."""
    wrong = [rule.id for rule in ruleset.rules if not rule.id.startswith(PACKS[_pack(rule)])]
    assert wrong == []


def test_every_rule_is_documented(ruleset: RuleSet) -> None:
    """Status, references, false positives, output and context are present on every rule."""
    missing = {}
    for rule in ruleset.rules:
        data = rule.rule.doc.data
        absent = [
            key
            for key in ("status", "references", "falsepositives", "output", "context")
            if not data.get(key)
        ]
        if absent:
            missing[rule.id] = absent
    assert missing == {}


def test_tags_name_an_attack_tactic_and_technique(ruleset: RuleSet) -> None:
    """Each rule names at least one ATT&CK tactic and one technique, and nothing malformed."""
    bad = {}
    for rule in ruleset.rules:
        tactics = [tag for tag in rule.tags if tag.removeprefix("attack.") in TACTICS]
        techniques = [tag for tag in rule.tags if TECHNIQUE.match(tag)]
        if not tactics or not techniques or len(tactics) + len(techniques) != len(rule.tags):
            bad[rule.id] = rule.tags
    assert bad == {}


def test_every_rule_has_a_match_and_a_routine_twin(ruleset: RuleSet) -> None:
    """Tests include at least one event that must match and one that must not."""
    lacking = [
        rule.id for rule in ruleset.rules if {test.expect_match for test in rule.rule.tests} != {True, False}
    ]
    assert lacking == []


def test_outputs_name_what_happened(ruleset: RuleSet) -> None:
    """On every must-match test event the output renders fully: no placeholder comes out unknown."""
    unknown = [
        f"{rule.id}: {title}"
        for rule in ruleset.rules
        for test in rule.rule.tests
        if test.expect_match
        for event in test.events
        if "unknown" in (title := rule.render_title(event))
    ]
    assert unknown == []


def test_packs_pass_their_own_tests() -> None:
    """`trailwarden test rules/` passes: every test event of both packs gives the expected outcome."""
    result = run_cli("test", REPO / "rules")
    assert result.exit_code == 0, result.stdout
    assert " 0 failed" in result.stdout


def test_packs_validate() -> None:
    """`trailwarden validate --no-bundled rules/` finds no problem in either pack."""
    result = run_cli("validate", "--no-bundled", REPO / "rules")
    assert result.exit_code == 0, result.stderr
