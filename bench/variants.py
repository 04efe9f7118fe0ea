"""Pad a rule set to the size issue 7 measures with (60 rules): copies of bundled rules with a new
id and a different eventName, written as YAML to a folder the scan is given with `--rules`.

Each copy is pinned to a call the generated corpus really makes to the same service (when there is
one), so the padding costs what real rules cost: the index hands it real events and its condition
runs on them. Copies carry no tests (their test events name the original call)."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from services import SERVICES

TARGET_RULES = 60
_CALLS = {service.source: [call.name for call in service.calls] for service in SERVICES}
_ANY_CALLS = sorted({name for names in _CALLS.values() for name in names})


def _single(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _other_name(data: dict[str, Any], n: int) -> str:
    """A call to the rule's own service that the rule does not already match, chosen by `n`."""
    match = data.get("match") or {}
    source = _single(match.get("eventSource"))
    current = match.get("eventName")
    taken = set(current if isinstance(current, list) else [current])
    names = [name for name in _CALLS.get(source, _ANY_CALLS) if name not in taken] or _ANY_CALLS
    return names[n % len(names)]


def variant(data: dict[str, Any], n: int) -> dict[str, Any]:
    out = copy.deepcopy(data)
    out["id"] = f"{data['id']}-bench-variant-{n}"
    out["title"] = f"{data['title']} (bench variant {n})"
    out.setdefault("match", {})["eventName"] = _other_name(data, n)
    out.pop("tests", None)
    return out


def pad_rules(rules: Sequence[Any], folder: Path, target: int = TARGET_RULES) -> int:
    """Write `target - len(rules)` variants of the stateless single-event rules into `folder`;
    returns how many were written (0 when the set is already large enough)."""
    missing = target - len(rules)
    bases = [
        r.rule.doc.data
        for r in rules
        if r.rule.kind == "rule" and not r.rule.threshold and not r.rule.correlation and r.rule.generate
    ]
    if missing <= 0 or not bases:
        return 0
    folder.mkdir(parents=True, exist_ok=True)
    documents = [variant(bases[n % len(bases)], n) for n in range(missing)]
    with (folder / "bench_variants.yml").open("w") as handle:
        yaml.safe_dump_all(documents, handle, sort_keys=False, allow_unicode=True)
    return missing
