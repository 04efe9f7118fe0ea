"""Which rules a selector names: an id, a glob over ids, or `tag:<tag or glob>`.

Used by `--select`/`--exclude`, by filters' `applies_to`, and by overrides — one meaning everywhere."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fnmatch import fnmatchcase


def selects(selector: str, rule_id: str, tags: Iterable[str]) -> bool:
    if selector.startswith("tag:"):
        pattern = selector[4:]
        return any(fnmatchcase(tag, pattern) for tag in tags)
    return fnmatchcase(rule_id, selector)


def selects_any(selectors: Sequence[str], rule_id: str, tags: Iterable[str]) -> bool:
    tag_list = list(tags)
    return any(selects(s, rule_id, tag_list) for s in selectors)
