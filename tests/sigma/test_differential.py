"""trailwarden flags exactly the (rule, event) pairs pySigma-backend-sqlite's SQL flags: over every
shared SigmaHQ CloudTrail rule and every shared CloudTrail sample, for the rules as loaded and for
the native rules `sigma convert` writes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sigma.backends.sqlite import sqliteBackend
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import ValueListPlaceholderTransformation

from engine.sigma.convert import convert_files
from tests.helpers import write_rules
from tests.sigma.reference import (
    FULLTEXT,
    SAMPLES,
    SIGMA_RULES,
    Reference,
    fields_of,
    shared_events,
    sigma_files,
    sigma_rule_of,
    trailwarden_flags,
)

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def corpus() -> tuple[list[dict[str, Any]], dict[Path, Any], Reference]:
    if not SIGMA_RULES.is_dir() or not SAMPLES.is_dir():
        pytest.skip(f"the shared Sigma rules or CloudTrail samples are absent ({SIGMA_RULES}, {SAMPLES})")
    events = shared_events()
    rules = {path: sigma_rule_of(path) for path in sigma_files()}
    fields = set().union(*(fields_of(rule) for rule in rules.values() if rule is not None))
    fields |= {"src_country", "src_ip"}
    return events, rules, Reference(events, fields)


def _disagreements(
    rules: dict[Path, Any], reference: Reference, flags: dict[str, set[int]]
) -> tuple[int, list[str]]:
    compared = 0
    problems: list[str] = []
    for path, rule in rules.items():
        if rule is None:
            continue
        try:
            want = reference.flagged(rule)
        except Exception:  # the backend cannot convert it (a placeholder): tested on its own below
            continue
        compared += 1
        got = flags.get(str(rule.id).lower())
        if got != want:
            problems.append(
                f"{path.name}: sql {sorted(want)[:8]} trailwarden {None if got is None else sorted(got)[:8]}"
            )
    return compared, problems


def test_every_shared_sigma_rule_flags_what_the_sql_reference_flags(corpus: Any) -> None:
    """All 58 convertible SigmaHQ rules, 3,000+ events: the same (rule, event) pairs, and enough of
    them that the comparison means something."""
    events, rules, reference = corpus
    flags = trailwarden_flags([SIGMA_RULES], events)
    compared, problems = _disagreements(rules, reference, flags)
    assert compared >= 58
    assert problems == []
    assert sum(1 for hits in flags.values() if hits) >= 10  # rules that fire on the samples
    assert sum(len(hits) for hits in flags.values()) >= 100


def test_converted_native_rules_flag_what_the_sigma_rules_flag(corpus: Any, tmp_path: Path) -> None:
    """`sigma convert` writes native rules that flag exactly the same pairs as the Sigma rules."""
    events, _, _ = corpus
    conversion = convert_files([SIGMA_RULES / "rules"])
    assert conversion.errors == []
    assert conversion.rules >= 57
    converted = tmp_path / "converted.yml"
    converted.write_text(conversion.text, encoding="utf-8")
    native = trailwarden_flags([converted], events)
    sigma = trailwarden_flags([SIGMA_RULES / "rules"], events)
    assert native == sigma


def test_placeholders_are_bound_to_lists_as_pysigma_binds_them(corpus: Any, tmp_path: Path) -> None:
    """`src_ip|expand: '%Legitimate_IP_Ranges%'` reads the trailwarden list of that name, as the
    reference reads pySigma's pipeline variables."""
    events, rules, reference = corpus
    (path,) = [p for p in rules if "placeholder" in str(p)]
    values = {"Legitimate_Countries": ["US", "Ire*"], "Legitimate_IP_Ranges": ["72.21.*", "10.0.0.1"]}
    pipeline = ProcessingPipeline(items=[ProcessingItem(ValueListPlaceholderTransformation())], vars=values)
    rule = sigma_rule_of(path)  # a fresh copy: a pipeline changes the rule it processes
    want = reference.flagged(rule, sqliteBackend(pipeline, fulltext_field=FULLTEXT))
    lists = write_rules(
        tmp_path,
        "lists.yml",
        "\n---\n".join(
            f"kind: list\nname: {name}\nvalues: [{', '.join(repr(v) for v in items)}]"
            for name, items in values.items()
        ),
    )
    flags = trailwarden_flags([path, lists], events)
    assert want  # console logins in the samples that are not from the legitimate ranges
    assert flags[str(rule.id)] == want
