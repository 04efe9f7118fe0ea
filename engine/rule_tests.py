"""Run the `tests:` that rules carry: each event goes through the same evaluator a scan uses
(index, match table, condition, exceptions, overrides, filters), one rule at a time."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from engine.detection.compiled_rule import CompiledRule
from engine.detection.evaluator import Evaluator
from engine.rules.model import RuleTest


@dataclass(frozen=True, slots=True)
class TestOutcome:
    rule_id: str
    test: RuleTest
    passed: bool
    detail: str


def run_rule_tests(rules: Sequence[CompiledRule]) -> Iterator[TestOutcome]:
    for rule in rules:
        evaluator = Evaluator([_enabled(rule)])
        for test in rule.rule.tests:
            yield _run_one(rule, evaluator, test)


def _enabled(rule: CompiledRule) -> CompiledRule:
    """Tests run even for rules an override disables: the rule's logic is what is tested."""
    if rule.enabled:
        return rule
    from dataclasses import replace

    return replace(rule, enabled=True)


def _run_one(rule: CompiledRule, evaluator: Evaluator, test: RuleTest) -> TestOutcome:
    errors_before = evaluator.errors[rule.id]
    hits = sum(1 for event in test.events if evaluator.evaluate(event))
    raised = evaluator.errors[rule.id] - errors_before
    matched = hits > 0
    passed = matched == test.expect_match
    if test.findings is not None:
        passed = passed and hits == test.findings
    detail = "matched" if matched else "did not match"
    if raised:
        detail += f" (the condition raised on {raised} event(s): {evaluator.error_samples.get(rule.id, '')})"
    return TestOutcome(rule.id, test, passed, detail)
