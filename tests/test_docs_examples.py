"""Every YAML example in README.md and in the design notes loads as the docs say it does
(cloud-custodian's habit: documentation that is executed cannot drift), and the README's explain
example gives the verdict it promises."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from engine.cli.main import cli
from engine.detection.build import load_ruleset
from engine.sinks.config import load_sink_config
from tests.helpers import REPO, SHARED

FENCE = re.compile(r"```yaml\n(.*?)```", flags=re.S)


def _blocks(path: Path) -> list[str]:
    return FENCE.findall(path.read_text(encoding="utf-8"))


def _documents(block: str) -> list[dict[str, object]]:
    return [doc for doc in yaml.safe_load_all(block) if isinstance(doc, dict)]


def _readme_lists_and_macros() -> str:
    """The README's list and macro definitions, which its condition fragments refer to."""
    docs = [
        d for b in _blocks(REPO / "README.md") for d in _documents(b) if d.get("kind") in ("list", "macro")
    ]
    return "\n---\n".join(yaml.safe_dump(d) for d in docs)


def _check_block(block: str, tmp_path: Path) -> None:
    docs = _documents(block)
    keys = {key for doc in docs for key in doc}
    path = tmp_path / "example.yml"
    if "sinks" in keys:
        path.write_text(block, encoding="utf-8")
        assert load_sink_config(path)
        return
    if keys <= {"tests"}:
        return  # a fragment of a rule (stateful tests); tests/detection/stateful/test_readme.py runs its rule
    if any(doc.get("kind") == "correlation" for doc in docs):
        return  # needs the bundled members beside it: tests/detection/stateful/test_readme.py loads it
    if keys == {"condition"}:
        head = "id: doc-fragment\ntitle: t\ndescription: d\nseverity: low\n"
        block = head + block + "---\n" + _readme_lists_and_macros()
    path.write_text(block, encoding="utf-8")
    tuning = any(doc.get("kind") in ("override", "filter") for doc in docs)
    ruleset = load_ruleset([path], bundled=tuning)
    assert ruleset.ok, [str(e) for e in ruleset.errors]
    assert not ruleset.warnings, [str(w) for w in ruleset.warnings]  # overrides name real rules


README_BLOCKS = _blocks(REPO / "README.md")


@pytest.mark.parametrize("index", range(len(README_BLOCKS)))
def test_readme_yaml_example_loads(index: int, tmp_path: Path) -> None:
    _check_block(README_BLOCKS[index], tmp_path)


def test_design_notes_rule_example_loads(tmp_path: Path) -> None:
    design = SHARED / "DESIGN.md"
    if not design.is_file():
        pytest.skip(f"the design notes are not at {design}")
    blocks = _blocks(design)
    assert blocks
    for block in blocks:
        _check_block(block, tmp_path)


def test_readme_explain_example_matches() -> None:
    """`trailwarden explain eks-root-create-cluster fixtures/events/root-create-cluster.json`."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    command = re.search(r"^trailwarden explain (\S+) (\S+)$", readme, flags=re.M)
    assert command is not None
    rule_id, event_file = command.groups()
    result = CliRunner().invoke(cli, ["explain", rule_id, str(REPO / event_file)])
    assert result.exit_code == 0, result.output
    assert "MATCH:" in result.stdout and "NO MATCH" not in result.stdout
