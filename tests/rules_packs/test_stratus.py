"""The bundled packs on Stratus Red Team's recordings: each technique listed as covered in
docs/coverage/stratus.yml is detected by exactly the rules it names, and a declined technique says
why and raises nothing. Reads ../shared/data/cloudtrail-samples/stratus-red-team/ (one JSON array
per technique); skipped when that folder is absent."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.detection.build import load_ruleset
from tests.helpers import REPO, SHARED
from tests.rules_packs.scanning import scan

STRATUS = SHARED / "data" / "cloudtrail-samples" / "stratus-red-team"
COVERAGE_FILE = REPO / "docs" / "coverage" / "stratus.yml"
COVERAGE: dict[str, dict[str, Any]] = yaml.safe_load(COVERAGE_FILE.read_text(encoding="utf-8"))
COVERED = {technique: set(entry["covered"]) for technique, entry in COVERAGE.items() if "covered" in entry}
DECLINED = {technique: entry["declined"] for technique, entry in COVERAGE.items() if "declined" in entry}

needs_recordings = pytest.mark.skipif(
    not STRATUS.is_dir(), reason=f"Stratus Red Team recordings not found at {STRATUS}"
)


@pytest.fixture(scope="module")
def flagged() -> dict[str, set[str]]:
    """Rule ids flagged per technique, from one scan of every recording."""
    result, findings = scan(STRATUS)
    assert result.exit_code == 0, result.stderr
    by_technique: dict[str, set[str]] = defaultdict(set)
    for finding in findings:
        by_technique[Path(finding["origin"]["source"]).stem].add(finding["rule_id"])
    return by_technique


def test_coverage_file_is_well_formed() -> None:
    """Every entry is either covered by rule ids that exist in the packs, or declined with a reason."""
    loaded = load_ruleset([REPO / "rules"], bundled=False)
    known = {rule.id for rule in loaded.rules}
    for technique, entry in COVERAGE.items():
        assert set(entry) in ({"covered"}, {"declined"}), technique
        if "covered" in entry:
            assert entry["covered"] and set(entry["covered"]) <= known, technique
        else:
            assert isinstance(entry["declined"], str) and entry["declined"], technique


def test_all_recorded_techniques_are_covered() -> None:
    """The target of issue 15: every recorded technique is flagged (none declined)."""
    assert DECLINED == {}


@pytest.mark.shared
@needs_recordings
def test_every_recording_is_triaged() -> None:
    """Each recorded technique is in the coverage file, and the file names no other technique."""
    recorded = {path.stem for path in STRATUS.glob("*.json")}
    assert recorded == set(COVERAGE)


@pytest.mark.shared
@needs_recordings
@pytest.mark.parametrize("technique", sorted(COVERED))
def test_covered_technique_is_detected(flagged: dict[str, set[str]], technique: str) -> None:
    """A covered technique's recording is flagged by exactly the rules mapped to it."""
    assert flagged.get(technique, set()) == COVERED[technique]


@pytest.mark.shared
@needs_recordings
def test_declined_techniques_raise_nothing(flagged: dict[str, set[str]]) -> None:
    """The declined list stays honest: a technique that starts being detected must move to covered."""
    assert {technique: flagged[technique] for technique in DECLINED if flagged.get(technique)} == {}
