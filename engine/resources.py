"""Where the bundled rule packs and schemas are: inside the wheel, or at the checkout's root."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def bundled_root() -> Path:
    """The folder holding `rules/` and `schemas/`.

    A wheel carries them as `engine/_bundled/` (pyproject's force-include); an editable install or a
    plain checkout has them beside the package, at the repository root."""
    for candidate in (_PACKAGE / "_bundled", _PACKAGE.parent):
        if (candidate / "schemas" / "rule.schema.json").is_file():
            return candidate
    raise FileNotFoundError(f"trailwarden's bundled schemas are missing (looked in {_PACKAGE})")


def bundled_rules_dir() -> Path:
    return bundled_root() / "rules"


def schema_path(name: str) -> Path:
    return bundled_root() / "schemas" / name
