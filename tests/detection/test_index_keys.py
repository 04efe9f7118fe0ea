"""The index keys rules pinned to no eventSource by the other fields their match tables pin, so an
event meets such a rule only when it could match it — with the same answers as without the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.detection.build import load_ruleset
from engine.detection.compiled_rule import CompiledRule
from engine.detection.evaluator import Evaluator
from engine.detection.index import RuleIndex
from tests.helpers import ROOT_IDENTITY, event, write_rules

RULES = """
id: root-anything
title: Root did something
description: Any call by the root user.
severity: high
status: test
match: {userIdentity.type: Root}
condition: "eventName != 'ConsoleLogin'"
---
id: eks-create
title: Cluster created
description: Any CreateCluster.
severity: low
status: test
match: {eventSource: eks.amazonaws.com, eventName: CreateCluster}
condition: "`true`"
---
id: eks-denied
title: Denied
description: Pinned to a source only; meets every EKS event.
severity: low
status: test
match: {eventSource: eks.amazonaws.com}
condition: "errorCode == 'AccessDenied'"
"""


@pytest.fixture
def rules(tmp_path: Path) -> list[CompiledRule]:
    write_rules(tmp_path, "rules.yml", RULES)
    ruleset = load_ruleset([tmp_path], bundled=False)
    assert ruleset.errors == []
    return ruleset.selected()


def _ids(found: tuple[CompiledRule, ...] | list[CompiledRule]) -> set[str]:
    return {rule.id for rule in found}


def test_the_key_holds_the_fields_that_rules_pinned_to_no_source_check(rules: list[CompiledRule]) -> None:
    """userIdentity.type joins the key because an unpinned rule's match table checks it."""
    assert RuleIndex(rules).key_paths == (("userIdentity", "type"),)


def test_an_ordinary_role_does_not_meet_the_root_rule(rules: list[CompiledRule]) -> None:
    """An assumed role's CreateCluster meets the two EKS rules, not the root rule."""
    assert _ids(RuleIndex(rules).candidates_for(event())) == {"eks-create", "eks-denied"}


def test_root_meets_the_root_rule_whatever_its_call(rules: list[CompiledRule]) -> None:
    """The root user's call to any service meets the root rule, and it matches."""
    root = event(userIdentity=ROOT_IDENTITY, eventSource="s3.amazonaws.com", eventName="PutBucketPolicy")
    index = RuleIndex(rules)
    assert _ids(index.candidates_for(root)) == {"root-anything"}
    assert _ids(Evaluator(rules).evaluate(root)) == {"root-anything"}


@pytest.mark.parametrize(
    "identity",
    [["Root"], {"type": ["Root"]}, "Root", None, {"type": {"nested": "Root"}}],
    ids=["list", "list-type", "string", "null", "object-type"],
)
def test_odd_identities_get_the_same_answer_as_the_plain_match_table(
    rules: list[CompiledRule], identity: Any
) -> None:
    """An unhashable or odd userIdentity skips the cache, and matches exactly what the match table says."""
    odd = event(userIdentity=identity, errorCode="AccessDenied")
    evaluator = Evaluator(rules)
    expected = {rule.id for rule in rules if rule.matches(odd)}
    assert _ids(evaluator.evaluate(odd)) == expected
    assert _ids(evaluator.evaluate(odd)) == expected  # and again, from the cache when there is one
