"""docs/coverage/traildiscover.yml against TrailDiscover's catalogue (../shared/data/traildiscover-catalogue/):
every call the catalogue marks as used in the wild has an entry, and each entry says the truth about
the rules — a `covered` rule is pinned to that very call, a `pattern` rule counts it, and an
`uncovered` call really is named by no rule (so an entry cannot go stale when rules are added).
Skipped when the catalogue is absent."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from engine.detection.build import load_ruleset
from engine.detection.compiled_rule import CompiledRule
from tests.helpers import REPO, SHARED

CATALOGUE = SHARED / "data" / "traildiscover-catalogue" / "events"
COVERAGE: dict[str, dict[str, Any]] = yaml.safe_load(
    (REPO / "docs" / "coverage" / "traildiscover.yml").read_text(encoding="utf-8")
)
MIN_NAMED = 157  # covered + pattern today (of 275); issue 15's target is 85 % flagged

pytestmark = [
    pytest.mark.shared,
    pytest.mark.skipif(not CATALOGUE.is_dir(), reason=f"TrailDiscover's catalogue not found at {CATALOGUE}"),
]


@pytest.fixture(scope="module")
def rules() -> dict[str, CompiledRule]:
    loaded = load_ruleset([REPO / "rules"], bundled=False)
    assert loaded.ok, [str(error) for error in loaded.errors]
    return {rule.id: rule for rule in loaded.rules}


def _pinned_to(rule: CompiledRule, call: str) -> bool:
    source, name = call.split(":", 1)
    return (rule.sources is None or source in rule.sources) and rule.names is not None and name in rule.names


def _in_the_wild() -> set[str]:
    calls = set()
    for path in CATALOGUE.glob("*/*.json"):
        entry = json.loads(path.read_text(encoding="utf-8"))
        if entry.get("usedInWild"):
            calls.add(f"{entry['eventSource']}:{entry['eventName']}")
    return calls


def test_every_call_used_in_the_wild_has_an_entry() -> None:
    """The file lists exactly the catalogue's in-the-wild calls."""
    assert set(COVERAGE) == _in_the_wild()


def test_entries_tell_the_truth_about_the_rules(rules: dict[str, CompiledRule]) -> None:
    """Covered and pattern rules exist and are pinned to the call; uncovered calls meet no rule."""
    wrong = {}
    for call, entry in COVERAGE.items():
        (kind, value), *rest = entry.items()
        assert not rest and kind in ("covered", "pattern", "uncovered"), call
        if kind == "uncovered":
            named = sorted(rule_id for rule_id, rule in rules.items() if _pinned_to(rule, call))
            if named:
                wrong[call] = f"uncovered, but named by {named}"
            continue
        missing = [rule_id for rule_id in value if rule_id not in rules]
        unpinned = [
            rule_id
            for rule_id in value
            if rule_id in rules
            and rules[rule_id].rule.doc.data.get("kind") != "correlation"
            and not _pinned_to(rules[rule_id], call)
        ]
        if missing or unpinned:
            wrong[call] = {"missing": missing, "not pinned to the call": unpinned}
    assert wrong == {}


def test_named_share_does_not_fall_back() -> None:
    """Covered and pattern entries together stay at or above today's count."""
    assert sum(next(iter(entry)) != "uncovered" for entry in COVERAGE.values()) >= MIN_NAMED
