"""Run the `tests:` that rules carry: each event goes through the same evaluator a scan uses
(index, match table, condition, exceptions, overrides, filters), one rule at a time.

Stateful rules (dedup, threshold, correlations) are tested on a sequence of events (`events:`)
through the scan's own pipeline, stateful stage included, with no lateness limit: the test
counts the findings the rule makes (`findings: N`, or at least one for `expect: match`). A
correlation's test runs its member rules too, feed-only."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from engine import run
from engine.config import ScanConfig
from engine.detection.compiled_rule import CompiledRule
from engine.detection.evaluator import Evaluator
from engine.detection.stateful.members import feed_only
from engine.rules.model import RuleTest
from engine.types import Origin, Record

# No lateness bound (a one-off scan's default) and no evidence: a test counts findings.
UNBOUNDED = ScanConfig(evidence=False)


@dataclass(frozen=True, slots=True)
class TestOutcome:
    rule_id: str
    test: RuleTest
    passed: bool
    detail: str


def run_rule_tests(
    rules: Sequence[CompiledRule], available: Sequence[CompiledRule] = ()
) -> Iterator[TestOutcome]:
    """Run each rule's tests; `available` is where a correlation's member rules are looked up
    (the whole rule set), in addition to `rules`."""
    library = {rule.id: rule for rule in (*available, *rules)}
    for rule in rules:
        if rule.stateful is not None:
            for test in rule.rule.tests:
                yield _run_stateful(rule, test, library)
            continue
        evaluator = Evaluator([_enabled(rule)])
        for test in rule.rule.tests:
            yield _run_one(rule, evaluator, test)


def _enabled(rule: CompiledRule) -> CompiledRule:
    """Tests run even for rules an override disables: the rule's logic is what is tested."""
    if rule.enabled:
        return rule
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


def _run_stateful(rule: CompiledRule, test: RuleTest, library: Mapping[str, CompiledRule]) -> TestOutcome:
    spec = rule.stateful
    assert spec is not None
    tested = replace(rule, enabled=True, rule=replace(rule.rule, generate=True))
    members = [feed_only(library[m]) for m in dict.fromkeys(spec.members) if m in library and m != rule.id]
    missing = [m for m in spec.members if m not in library and m != rule.id]
    if missing:
        return TestOutcome(rule.id, test, False, f"member rule(s) not loaded: {', '.join(missing)}")
    findings: list[dict[str, Any]] = []
    scanner = run.scanner([tested, *members], UNBOUNDED, findings.append)
    for i, event in enumerate(test.events):
        scanner.scan_record(Record(event, Origin(f"test {test.name!r}", i)))
    stats = scanner.finish()
    made = sum(1 for finding in findings if finding["rule_id"] == rule.id)
    passed = (made > 0) == test.expect_match and (test.findings is None or made == test.findings)
    detail = f"made {made} finding(s)"
    if test.findings is not None and made != test.findings:
        detail += f" where the test expects {test.findings}"
    errors = sum(scanner.evaluator.errors.values())
    if errors:
        samples = "; ".join(f"{k}: {v}" for k, v in scanner.evaluator.error_samples.items())
        detail += f" (conditions raised on {errors} event(s): {samples})"
    for note in [*stats.windows.lines(), *stats.notes]:
        detail += f" ({note})"
    return TestOutcome(rule.id, test, passed, detail)
