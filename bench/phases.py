"""The two yardsticks, each run by `bench.py` in a fresh process of its own (so its peak RSS and its
garbage collector see nothing but its own work):

    python bench/phases.py baseline FILE_LIST
    python bench/phases.py naive FILE_LIST [--rules DIR]

FILE_LIST names one gzip file per line. Each phase prints one JSON object: events, seconds, and for
the naive phase the (rule id, eventID, file) of every match, so the benchmark can check the engine
finds the same."""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def baseline(files: list[str]) -> dict[str, Any]:
    """The plain loop issue 7 measures against: open each gzip file, json.load it, count its records."""
    started, cpu = time.perf_counter(), time.process_time()
    events = 0
    for name in files:
        with gzip.open(name, "rb") as handle:
            events += len(json.load(handle)["Records"])
    return {
        "events": events,
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu,
    }


def naive(files: list[str], rule_paths: list[str]) -> dict[str, Any]:
    """The same loop with every rule's JMESPath expression run by the jmespath library on every event."""
    from naive import naive_rules

    from engine.detection.build import load_ruleset

    ruleset = load_ruleset(rule_paths)
    rules = naive_rules(ruleset.selected(), ruleset.parsed)
    matches: list[tuple[str, Any, str]] = []
    started = time.perf_counter()
    events = 0
    for name in files:
        with gzip.open(name, "rb") as handle:
            records = json.load(handle)["Records"]
        events += len(records)
        for event in records:
            for rule in rules:
                try:
                    hit = rule.matches(event)
                except Exception:  # the engine counts a raising condition as no match; so does this
                    continue
                if hit:
                    matches.append((rule.id, event.get("eventID"), name))
    return {
        "events": events,
        "seconds": time.perf_counter() - started,
        "rules": len(rules),
        "matches": matches,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("phase", choices=("baseline", "naive"))
    parser.add_argument("file_list", type=Path)
    parser.add_argument("--rules", action="append", default=[])
    args = parser.parse_args()
    files = args.file_list.read_text().split()
    result = baseline(files) if args.phase == "baseline" else naive(files, args.rules)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
