"""`trailwarden sigma convert`: the native rules a Sigma file becomes, as YAML a user can fork.

It is the translation the loader runs, serialised: the rule written out flags exactly what the
Sigma rule flags (tests/sigma/ checks it over every shared SigmaHQ rule). The Detection Rule
License asks that a rule derived from a Sigma rule credits it: the header says where it came from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from engine.errors import RuleError
from engine.rules.loader import parse_rule_files
from engine.sigma.loading import SigmaLoader


@dataclass(slots=True)
class Conversion:
    text: str
    rules: int
    errors: list[RuleError] = field(default_factory=list)
    warnings: list[RuleError] = field(default_factory=list)


def _dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110, default_flow_style=False)


def convert_files(paths: Sequence[str | Path]) -> Conversion:
    """The native YAML of every Sigma rule, correlation and filter in `paths`, in file order."""
    parsed = parse_rule_files(paths, bundled=False, translators=[SigmaLoader()])
    documents: list[str] = []
    count = 0
    items: list[tuple[tuple[str, int], dict[str, Any], str]] = []
    for rule in parsed.rules:
        native = parsed.translated.get(rule.id)
        if native is not None:
            items.append(((rule.doc.file, rule.doc.index), native, str(rule.location)))
    for flt in parsed.filters:
        native = parsed.translated.get(flt.name)
        if native is not None:
            items.append(((flt.doc.file, flt.doc.index), native, str(flt.location)))
    for _, data, where in sorted(items, key=lambda item: item[0]):
        author = data.get("author")
        credit = f"; Sigma rule by {author}" if author else ""
        header = (
            f"# converted by `trailwarden sigma convert` from {where}{credit} (Detection Rule License 1.1)\n"
        )
        documents.append(header + _dump(data))
        count += 1
    return Conversion("---\n".join(documents), count, list(parsed.errors), list(parsed.warnings))
