"""The index: each event meets only the rules that can match it.

Rules whose `match` pins eventSource and/or eventName are filed under those values; an event
looks up its (source, name) pair once — the answer is cached per pair, and an account sees only a
few thousand distinct pairs — and gets the pinned rules plus those pinned to nothing. Insights
events get only the rules that ask for them, so an Insights record about StopLogging never
passes for a StopLogging API call."""

from __future__ import annotations

from collections.abc import Sequence

from engine.detection.compiled_rule import CompiledRule

_CACHE_LIMIT = 100_000


class RuleIndex:
    def __init__(self, rules: Sequence[CompiledRule]) -> None:
        # A correlation matches no single event: its members' matches feed engine.detection.state.
        self.rules = tuple(rule for rule in rules if rule.enabled and rule.rule.kind != "correlation")
        self._cache: dict[tuple[str | None, str | None, bool], tuple[CompiledRule, ...]] = {}

    def candidates(self, source: str | None, name: str | None, insight: bool) -> tuple[CompiledRule, ...]:
        key = (source, name, insight)
        found = self._cache.get(key)
        if found is None:
            found = tuple(
                rule
                for rule in self.rules
                if rule.insight == insight
                and (rule.sources is None or source in rule.sources)
                and (rule.names is None or name in rule.names)
            )
            if len(self._cache) >= _CACHE_LIMIT:  # a flood of made-up event names must not grow memory
                self._cache.clear()
            self._cache[key] = found
        return found

    def pinned_sources(self) -> frozenset[str] | None:
        """Every eventSource some rule can match, or None when a rule is pinned to no source
        (then every event needs evaluating). Lean decoding uses this to skip events early."""
        sources: set[str] = set()
        for rule in self.rules:
            if rule.sources is None:
                return None
            sources |= rule.sources
        return frozenset(sources)
