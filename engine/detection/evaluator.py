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

log = structlog.get_logger("trailwarden.detection")


class Evaluator:
    def __init__(self, rules: Sequence[CompiledRule]) -> None:
        self.index = RuleIndex(rules)
        self._candidates_for = self.index.candidates_for  # bound once: this runs for every event
        self.errors: Counter[str] = Counter()
        self.error_samples: dict[str, str] = {}
        self.suppressed: Counter[str] = Counter()
        self.evaluations = 0

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
                self.suppressed[rule.id] += 1
                continue
            hits.append(rule)
        return hits

    def _count_error(self, rule: CompiledRule, event: dict[str, Any], part: str, exc: Exception) -> None:
        self.errors[rule.id] += 1
        if rule.id not in self.error_samples:
            message = f"{part}: {type(exc).__name__}: {exc}"
            self.error_samples[rule.id] = message
            log.warning(
                "rule raised on an event; counted as no match",
                rule=rule.id,
                event_id=event.get("eventID"),
                error=message,
            )
