"""Evaluate events against the compiled rules: index look-up, match table, condition, exceptions.

A rule whose condition raises on an event (a function given null, a type error) does not match
that event; the error is counted per rule and logged once per rule, and the scan goes on."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import structlog

from engine.detection.compiled_rule import CompiledRule
from engine.detection.index import RuleIndex
from engine.report import ScanReport

log = structlog.get_logger("trailwarden.detection")


class Evaluator:
    """Counts go to `report` (the scan's, which a runner may swap per file): rule errors with a
    sample each, and findings suppressed by exceptions and filters."""

    def __init__(self, rules: Sequence[CompiledRule], report: ScanReport | None = None) -> None:
        self.index = RuleIndex(rules)
        self._candidates_for = self.index.candidates_for  # bound once: this runs for every event
        self.report = report if report is not None else ScanReport()
        self.evaluations = 0
        self._logged: set[str] = set()  # rules whose first error was logged (once per process)

    @property
    def errors(self) -> Counter[str]:
        return self.report.rule_errors

    @property
    def error_samples(self) -> dict[str, str]:
        return self.report.error_samples

    @property
    def suppressed(self) -> Counter[str]:
        return self.report.suppressed_by_rule

    def evaluate(self, event: dict[str, Any]) -> list[CompiledRule]:
        """The rules that match this event and are not suppressed by an exception or filter."""
        rules = self._candidates_for(event)
        if not rules:
            return []
        self.evaluations += len(rules)
        hits: list[CompiledRule] = []
        for rule in rules:
            try:
                if not rule.matches(event):
                    continue
            except Exception as exc:  # any error in a rule's condition is that rule's, not the scan's
                self._count_error(rule, event, "condition", exc)
                continue
            try:
                reason = rule.suppressed_by(event)
            except Exception as exc:
                # An exception clause that cannot be evaluated suppresses nothing: better a finding
                # an analyst dismisses than a risky event hidden by a broken allowlist.
                self._count_error(rule, event, "exception", exc)
                reason = None
            if reason is not None:
                self.report.suppressed_by_rule[rule.id] += 1
                continue
            hits.append(rule)
        return hits

    def _count_error(self, rule: CompiledRule, event: dict[str, Any], part: str, exc: Exception) -> None:
        first = rule.id not in self.report.error_samples
        message = f"{part}: {type(exc).__name__}: {exc}" if first else ""
        self.report.count_error(rule.id, message)
        if first and rule.id not in self._logged:
            self._logged.add(rule.id)
            log.warning(
                "rule raised on an event; counted as no match",
                rule=rule.id,
                event_id=event.get("eventID"),
                error=message,
            )
