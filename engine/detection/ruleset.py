"""A loaded, checked and compiled rule set: what `scan`, `test`, `explain` and `rules` work from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from engine.detection.compiled_rule import CompiledRule
from engine.detection.stateful.members import with_members
from engine.errors import RuleError
from engine.rules.loader import ParsedRules
from engine.rules.selectors import selects_any
from engine.types import SEVERITY_RANK


@dataclass(slots=True)
class RuleSet:
    rules: list[CompiledRule]
    parsed: ParsedRules
    errors: list[RuleError] = field(default_factory=list)
    warnings: list[RuleError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def get(self, rule_id: str) -> CompiledRule | None:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        return None

    def selected(
        self,
        select: Sequence[str] = (),
        exclude: Sequence[str] = (),
        min_severity: str | None = None,
    ) -> list[CompiledRule]:
        """The enabled rules that `--select`, `--exclude` and `--min-severity` leave to run."""
        floor = SEVERITY_RANK[min_severity] if min_severity else 0
        return [
            rule
            for rule in self.rules
            if rule.enabled
            and SEVERITY_RANK[rule.severity] >= floor
            and (not select or selects_any(select, rule.id, rule.tags))
            and not (exclude and selects_any(exclude, rule.id, rule.tags))
        ]

    def runnable(
        self,
        select: Sequence[str] = (),
        exclude: Sequence[str] = (),
        min_severity: str | None = None,
    ) -> list[CompiledRule]:
        """What a scan runs: the selected rules, plus the members their correlations need
        (feed-only when not selected themselves)."""
        return with_members(self.selected(select, exclude, min_severity), self.rules)
