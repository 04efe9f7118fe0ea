"""The index: each event meets only the rules that can match it.

Rules whose `match` pins eventSource and/or eventName are filed under those values; an event
looks up its (source, name) pair once — the answer is cached per pair, and an account sees only a
few thousand distinct pairs — and gets the pinned rules plus those pinned to nothing. Insights
events get only the rules that ask for them, so an Insights record about StopLogging never
passes for a StopLogging API call.

A rule pinned to no eventSource would otherwise meet every event. When such rules pin another
field instead (`match: {userIdentity.type: Root}`), that field's value joins the cache key, so an
event meets them only when the value is one they allow: on a busy trail, the event of an ordinary
role then meets no rule at all after one dictionary look-up. The rules' own match checks still run
on the events they meet; the key only leaves out rules that could not match."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from engine.detection.compiled_rule import INSIGHT, CompiledRule, lookup

_CACHE_LIMIT = 100_000
_MAX_KEY_PATHS = 3  # beyond this, building the key costs more than the rules it leaves out

Path = tuple[str, ...]


def _key_function(paths: tuple[Path, ...]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """An event's cache key: (eventSource, eventName, is Insights, then the keyed fields' values)."""

    def key(event: dict[str, Any]) -> tuple[Any, ...]:
        base = (event.get("eventSource"), event.get("eventName"), event.get("eventType") == INSIGHT)
        return base + tuple([lookup(event, path) for path in paths])

    return key


def _key_paths(rules: Sequence[CompiledRule]) -> tuple[Path, ...]:
    """The fields checked by rules pinned to no eventSource (in a stable order), or none if too many."""
    paths: dict[Path, None] = {}
    for rule in rules:
        if rule.sources is None:
            for path, _ in rule.checks:
                paths[path] = None
    return tuple(paths) if len(paths) <= _MAX_KEY_PATHS else ()


def _allows(allowed: tuple[Any, ...], value: Any) -> bool:
    try:
        return value in allowed
    except TypeError:  # an odd value whose comparison raises equals none of the rule's values
        return False


class RuleIndex:
    def __init__(self, rules: Sequence[CompiledRule]) -> None:
        # A correlation matches no single event: its members' matches feed engine.detection.stateful.
        self.rules = tuple(rule for rule in rules if rule.enabled and rule.rule.kind != "correlation")
        self.key_paths = _key_paths(self.rules)
        self._cache: dict[tuple[Any, ...], tuple[CompiledRule, ...]] = {}
        self.candidates_for = self._candidates_function()

    def _candidates_function(self) -> Callable[[dict[str, Any]], tuple[CompiledRule, ...]]:
        """`candidates_for(event)`: the rules this event may match, the per-event path of every scan.

        A closure over its cache and key rather than a method, and written out in full for the usual
        key (one field two levels down, userIdentity.type): at this rate every attribute look-up
        and call shows in the profile."""
        cache = self._cache
        cached = cache.get
        select = self._select

        def miss(key: tuple[Any, ...]) -> tuple[CompiledRule, ...]:
            try:
                hash(key)
            except TypeError:  # a keyed field holds a list or an object: no cache for this odd event
                return select(key)
            if len(cache) >= _CACHE_LIMIT:  # a flood of made-up event names must not grow memory
                cache.clear()
            found = cache[key] = select(key)
            return found

        if len(self.key_paths) == 1 and len(self.key_paths[0]) == 2:
            ((outer, inner),) = self.key_paths

            def candidates_for_one_field(event: dict[str, Any]) -> tuple[CompiledRule, ...]:
                value = event.get(outer)
                key = (
                    event.get("eventSource"),
                    event.get("eventName"),
                    event.get("eventType") == INSIGHT,
                    value.get(inner) if isinstance(value, dict) else None,
                )
                try:
                    found = cached(key)
                except TypeError:
                    found = None
                return miss(key) if found is None else found

            return candidates_for_one_field

        key_of = _key_function(self.key_paths)

        def candidates_for(event: dict[str, Any]) -> tuple[CompiledRule, ...]:
            key = key_of(event)
            try:
                found = cached(key)
            except TypeError:
                found = None
            return miss(key) if found is None else found

        return candidates_for

    def candidates(self, source: Any, name: Any, insight: bool) -> tuple[CompiledRule, ...]:
        """The rules an event with this source, name and kind may match, whatever its other fields.

        A source or name that is not a string (a list, an object: hostile or broken input) equals
        no rule's value, so it meets only the rules pinned to nothing."""
        if not isinstance(source, str):
            source = None
        if not isinstance(name, str):
            name = None
        return tuple(
            rule
            for rule in self.rules
            if rule.insight == insight
            and (rule.sources is None or source in rule.sources)
            and (rule.names is None or name in rule.names)
        )

    def _select(self, key: tuple[Any, ...]) -> tuple[CompiledRule, ...]:
        source, name, insight, *values = key
        known = dict(zip(self.key_paths, values, strict=True))
        return tuple(
            rule
            for rule in self.candidates(source, name, insight)
            if all(path not in known or _allows(allowed, known[path]) for path, allowed in rule.checks)
        )

    def pinned_sources(self) -> frozenset[str] | None:
        """Every eventSource some rule can match, or None when a rule is pinned to no source
        (then every event needs evaluating). Lean decoding uses this to skip events early."""
        sources: set[str] = set()
        for rule in self.rules:
            if rule.sources is None:
                return None
            sources |= rule.sources
        return frozenset(sources)
