"""A correlation needs its member rules running, whether or not the user selected them: members
that were not selected (by --select, --exclude, --min-severity, or an override that disables
them) run feed-only — they feed the correlation and make no findings of their own."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.detection.compiled_rule import CompiledRule


def with_members(selected: Sequence[CompiledRule], available: Sequence[CompiledRule]) -> list[CompiledRule]:
    """`selected`, plus feed-only copies of the members its correlations need from `available`."""
    chosen = {rule.id for rule in selected}
    by_id = {rule.id: rule for rule in available}
    out = list(selected)
    for rule in selected:
        if rule.rule.kind != "correlation" or rule.stateful is None:
            continue
        for member in rule.stateful.members:
            found = by_id.get(member)
            if member in chosen or found is None:
                continue
            chosen.add(member)
            out.append(feed_only(found))
    return out


def feed_only(rule: CompiledRule) -> CompiledRule:
    return replace(rule, enabled=True, rule=replace(rule.rule, generate=False))
