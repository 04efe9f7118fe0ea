"""The bundled packs on the fixture export: every scenario is flagged by exactly the rules its
source names (none for routine twins and ordinary noise), and the committed export is what the
scenario sources describe."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from engine.decoding import decode_bytes
from engine.detection.build import load_ruleset
from engine.detection.explain import explain
from engine.detection.ruleset import RuleSet
from engine.types import Record
from tests.helpers import REPO
from tests.rules_packs.scanning import FIXTURES, fixture_builder, run_cli, scan

# Example events for `trailwarden explain`: which rule each illustrates, and whether it matches.
EXAMPLES = {
    "root-create-cluster": ("eks-root-create-cluster", True),
    "slr-deleted-by-user": ("eks-service-linked-role-deleted", True),
    "nodegroup-deletes-instance-profile": ("eks-node-instance-profile-deleted", False),
    "endpoint-opened-to-internet": ("eks-endpoint-open-to-internet", True),
    "endpoint-restricted": ("eks-endpoint-open-to-internet", False),
    "stop-logging": ("ct-cloudtrail-logging-stopped", True),
    "access-key-for-another-user": ("ct-iam-access-key-created-for-another-user", True),
    "access-key-own-rotation": ("ct-iam-access-key-created-for-another-user", False),
}


@pytest.fixture(scope="module")
def ruleset() -> RuleSet:
    loaded = load_ruleset([REPO / "rules"], bundled=False)
    assert loaded.ok, [str(error) for error in loaded.errors]
    return loaded


@pytest.fixture(scope="module")
def built() -> Any:
    return fixture_builder().build()


@pytest.fixture(scope="module")
def flagged(built: Any) -> dict[str, set[str]]:
    """Rule ids flagged per scenario, from one scan of the committed export."""
    result, findings = scan(FIXTURES / "AWSLogs")
    assert result.exit_code == 0, result.stderr
    by_scenario: dict[str, set[str]] = defaultdict(set)
    for finding in findings:
        scenario = built.scenario_of.get(finding["event_id"])
        assert scenario is not None, f"finding on an event no scenario describes: {finding['event_id']}"
        by_scenario[scenario].add(finding["rule_id"])
    return by_scenario


def _committed() -> dict[Path, bytes]:
    files = {}
    for folder in ("AWSLogs", "events"):
        for path in (FIXTURES / folder).rglob("*"):
            if path.is_file():
                files[path.relative_to(FIXTURES)] = path.read_bytes()
    return files


def test_committed_export_equals_what_the_generator_writes() -> None:
    """fixtures/AWSLogs and fixtures/events are byte for byte what fixtures/build.py produces."""
    builder = fixture_builder()
    expected = builder.export(builder.build())
    committed = _committed()
    assert sorted(committed) == sorted(expected), "run `python fixtures/build.py` and commit the result"
    changed = [str(path) for path, data in expected.items() if committed[path] != data]
    assert not changed, f"stale fixture files (run `python fixtures/build.py`): {changed[:5]}"


def test_generator_is_deterministic() -> None:
    """Two builds give the same bytes, so the committed export can be checked at all."""
    builder = fixture_builder()
    assert builder.export(builder.build()) == builder.export(builder.build())


def test_export_has_logs_digests_and_insights_in_the_s3_layout() -> None:
    """The export holds log files, digest files and an Insights file under AWSLogs/<account>/."""
    kinds = {path.parts[2] for path in _committed() if path.parts[0] == "AWSLogs"}
    assert kinds == {"CloudTrail", "CloudTrail-Digest", "CloudTrail-Insight"}


def test_every_scenario_is_flagged_by_exactly_its_expected_rules(
    built: Any, flagged: dict[str, set[str]]
) -> None:
    """Risky scenarios raise the rules their source names; routine twins raise none."""
    wrong = {
        scenario: {"expected": sorted(expected), "flagged": sorted(flagged.get(scenario, set()))}
        for scenario, expected in built.expected.items()
        if set(expected) != flagged.get(scenario, set())
    }
    assert not wrong


def test_ordinary_noise_is_never_flagged(built: Any, flagged: dict[str, set[str]]) -> None:
    """The few hundred Describe/List/Get calls and AWS service calls raise nothing."""
    noise = sum(1 for scenario in built.scenario_of.values() if scenario == "noise")
    assert noise >= 200
    assert flagged.get("noise", set()) == set()


def test_export_mixes_risky_and_routine_scenarios(built: Any) -> None:
    """The fixture shows both what the packs catch and what they deliberately leave alone."""
    risky = [name for name, expected in built.expected.items() if expected]
    routine = [name for name, expected in built.expected.items() if not expected]
    assert len(risky) >= 40 and len(routine) >= 25


def test_every_bundled_rule_fires_in_some_scenario(built: Any, ruleset: RuleSet) -> None:
    """Each rule of both packs that makes findings is shown at work by at least one scenario of the
    export (rules with `generate: false` only feed correlations and make none of their own)."""
    expected = {rule for rules in built.expected.values() for rule in rules}
    assert {rule.id for rule in ruleset.rules if rule.rule.generate} - expected == set()


@pytest.mark.parametrize(("example", "rule_and_outcome"), sorted(EXAMPLES.items()))
def test_explain_examples(ruleset: RuleSet, example: str, rule_and_outcome: tuple[str, bool]) -> None:
    """Each fixtures/events example decodes as one event and explains with the outcome it illustrates."""
    rule_id, matches = rule_and_outcome
    path = FIXTURES / "events" / f"{example}.json"
    records = [item for item in decode_bytes(path.read_bytes(), str(path)) if isinstance(item, Record)]
    assert len(records) == 1
    rule = ruleset.get(rule_id)
    assert rule is not None
    assert explain(ruleset, rule, records[0].event).matched is matches


def test_every_example_is_listed() -> None:
    """No example file goes untested (the generator writes one per `example:` in the scenarios)."""
    assert {path.stem for path in (FIXTURES / "events").glob("*.json")} == set(EXAMPLES)


def test_readme_explain_command() -> None:
    """The README's `trailwarden explain eks-root-create-cluster fixtures/events/…` matches (exit 0)."""
    result = run_cli("explain", "eks-root-create-cluster", FIXTURES / "events" / "root-create-cluster.json")
    assert result.exit_code == 0, result.output
    assert "eks-root-create-cluster" in result.stdout
