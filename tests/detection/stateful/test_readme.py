"""The README's section on stateful detection: its rule examples load without a problem (the
correlation with the bundled rule it joins), and the behaviour it states holds."""

from __future__ import annotations

import re
from pathlib import Path

from engine.detection.build import load_ruleset
from tests.helpers import REPO

SECTION = "## Stateful detection: dedup, thresholds and correlations"


def _examples() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.index("\n## ", start + len(SECTION))
    blocks = re.findall(r"```yaml\n(.*?)```", text[start:end], flags=re.S)
    return [block for block in blocks if "\nid: " in "\n" + block]


def test_the_section_shows_dedup_a_threshold_and_a_correlation() -> None:
    """One example each of the three features."""
    examples = "\n".join(_examples())
    assert "dedup:" in examples and "threshold:" in examples and "kind: correlation" in examples


def test_every_rule_example_loads(tmp_path: Path) -> None:
    """Each example is a valid rule set; the correlation loads beside the bundled rule it joins."""
    for i, block in enumerate(_examples()):
        path = tmp_path / f"example{i}.yml"
        path.write_text(block, encoding="utf-8")
        ruleset = load_ruleset(
            [path, REPO / "rules" / "eks" / "access.yml", REPO / "rules" / "eks" / "lists.yml"], bundled=False
        )
        assert ruleset.ok, [str(e) for e in ruleset.errors]
        assert any(rule.stateful is not None for rule in ruleset.rules)
