"""docs/rules.md, the rule catalogue users read, is exactly what `trailwarden rules list --format
markdown` prints for the bundled packs — so it cannot drift from the rules."""

from __future__ import annotations

from tests.helpers import REPO
from tests.rules_packs.scanning import run_cli

CATALOGUE = REPO / "docs" / "rules.md"


def test_catalogue_is_current() -> None:
    """The checked-in catalogue equals the command's output (regenerate it with that command)."""
    result = run_cli("rules", "list", "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    assert CATALOGUE.read_text(encoding="utf-8") == result.stdout, (
        "docs/rules.md is stale: run `trailwarden rules list --format markdown > docs/rules.md`"
    )


def test_catalogue_has_a_section_per_pack() -> None:
    """Both bundled packs appear, each with its own table."""
    text = CATALOGUE.read_text(encoding="utf-8")
    assert "## cloudtrail (" in text
    assert "## eks (" in text
