"""The reference the Sigma tests compare with: pySigma-backend-sqlite's SQL, run over events loaded
into SQLite with one column per dotted field path (COLLATE NOCASE), as the issue describes.

Values are stored the way a SIEM indexes CloudTrail: strings as they are, JSON booleans as the
text true/false, numbers as numbers, objects and lists as their compact JSON text, missing and
null as NULL. REGEXP is Python's `re.search` (trailwarden runs RE2: two engines, one answer)."""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson
from sigma.backends.sqlite import sqliteBackend
from sigma.collection import SigmaCollection
from sigma.rule import SigmaDetection, SigmaDetectionItem, SigmaRule
from sigma.types import SigmaFieldReference

from engine.detection.build import load_ruleset
from engine.detection.index import RuleIndex
from engine.rules.yaml_source import read_documents
from tests.helpers import SHARED

SIGMA_RULES = SHARED / "data" / "sigma-cloudtrail-rules"
SAMPLES = SHARED / "data" / "cloudtrail-samples"
FULLTEXT = "_raw"  # the column keyword (field-less) searches read: every value of the event


def shared_events() -> list[dict[str, Any]]:
    """Every CloudTrail record in the shared samples (S3 files, arrays, LookupEvents strings, …)."""
    events: list[dict[str, Any]] = []
    for path in sorted(SAMPLES.rglob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
        events.extend(_records(data, 0))
    return events


def _records(value: Any, depth: int) -> Iterator[dict[str, Any]]:
    if depth > 12:
        return
    if isinstance(value, dict):
        if isinstance(value.get("eventName"), str) and isinstance(value.get("eventSource"), str):
            yield value
            return
        for key, item in value.items():
            if key == "CloudTrailEvent" and isinstance(item, str):
                with contextlib.suppress(ValueError):
                    yield from _records(json.loads(item), depth + 1)
            else:
                yield from _records(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _records(item, depth + 1)


def sigma_files(*folders: str) -> list[Path]:
    roots = [SIGMA_RULES / f for f in folders] if folders else [SIGMA_RULES]
    return sorted(p for root in roots for p in root.rglob("*.yml"))


def sigma_rule_of(path: Path) -> SigmaRule | None:
    """The file's rule as pySigma parses it (through trailwarden's YAML reader), None if it cannot."""
    docs = list(read_documents(path))
    try:
        collection = SigmaCollection.from_dicts([d.data for d in docs])
        rule = collection.rules[0]
        for condition in rule.detection.parsed_condition:  # type: ignore[union-attr]
            condition.parse()
    except Exception:
        return None
    return rule if isinstance(rule, SigmaRule) else None


def fields_of(rule: SigmaRule) -> set[str]:
    out: set[str] = set()

    def walk(detection: SigmaDetection) -> None:
        for item in detection.detection_items:
            if isinstance(item, SigmaDetection):
                walk(item)
            elif isinstance(item, SigmaDetectionItem):
                if item.field:
                    out.add(item.field)
                for value in item.value:
                    if isinstance(value, SigmaFieldReference):
                        out.add(value.field)

    for detection in rule.detection.detections.values():
        walk(detection)
    return out


def lookup(event: Any, name: str) -> Any:
    value = event
    for key in name.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def stored(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return value
    return orjson.dumps(value).decode()


def _leaves(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    elif value is not None:
        yield str(stored(value))


def _regexp(pattern: str, value: Any) -> bool:
    if value is None:
        return False
    return re.search(pattern, str(value)) is not None


class Reference:
    """Events in SQLite; `flagged(rule)` is the set of event indexes the backend's SQL selects."""

    def __init__(self, events: Sequence[dict[str, Any]], fields: Iterable[str]) -> None:
        self.events = list(events)
        self.fields = sorted(set(fields), key=str.lower)
        self.db = sqlite3.connect(":memory:")
        self.db.create_function("REGEXP", 2, _regexp, deterministic=True)
        columns = {f.lower(): f for f in self.fields}  # SQLite column names ignore case
        self.columns = list(columns.values())
        spec = ", ".join(f"{_quote(c)} COLLATE NOCASE" for c in [*self.columns, FULLTEXT])
        self.db.execute(f"CREATE TABLE logs ({spec})")
        marks = ", ".join("?" for _ in range(len(self.columns) + 1))
        rows = [(*(stored(lookup(e, c)) for c in self.columns), "\n".join(_leaves(e))) for e in self.events]
        self.db.executemany(f"INSERT INTO logs VALUES ({marks})", rows)
        self.backend = sqliteBackend(fulltext_field=FULLTEXT)

    def sql(self, rule: SigmaRule, backend: sqliteBackend | None = None) -> str:
        (query,) = (backend or self.backend).convert_rule(rule)
        return str(query)

    def flagged(self, rule: SigmaRule, backend: sqliteBackend | None = None) -> set[int]:
        query = self.sql(rule, backend)
        assert query.startswith("SELECT * FROM logs"), query
        sql = "SELECT rowid - 1 FROM logs" + query[len("SELECT * FROM logs") :]
        return {row[0] for row in self.db.execute(sql)}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def trailwarden_flags(
    rule_paths: Sequence[Path | str], events: Sequence[dict[str, Any]]
) -> dict[str, set[int]]:
    """(rule id -> event indexes) as trailwarden's compiled engine flags them: index, match, condition."""
    ruleset = load_ruleset(list(rule_paths), bundled=False)
    index = RuleIndex(ruleset.rules)
    flags: dict[str, set[int]] = {rule.id: set() for rule in ruleset.rules}
    for number, event in enumerate(events):
        for rule in index.candidates_for(event):
            if rule.matches(event) and rule.suppressed_by(event) is None:
                flags[rule.id].add(number)
    return flags
