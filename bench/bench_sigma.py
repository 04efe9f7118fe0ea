"""Sigma rules at scale: how long ~800 Sigma rules take to load and compile, and how fast a scan with
them runs on one worker, beside a plain `gzip` + `json.load` loop over the same files.

Run:  .venv/bin/python bench/bench_sigma.py [--events 100000] [--variants 14] [--repeat 3]

The rules are the shared SigmaHQ CloudTrail rules (../shared/data/sigma-cloudtrail-rules/rules/,
57 of them) and `--variants - 1` copies of each with a fresh id and title, their eventSource and
eventName equalities moved onto (source, name) pairs the corpus really holds — so the variants
meet events as a large public rule set would, rather than piling onto the same few API calls, and
each variant's selections ask for a user agent the trail never has: they evaluate on the events
they meet and, as rules do on an ordinary trail, rarely fire (the originals fire as they do).
The corpus is bench/corpus.py's seeded generated trail (reused from --corpus-dir when present).

Printed: the rules loaded, the load-and-compile time (cold: the first load in the process; warm:
the best of --repeat), the scan's wall time through the real command line (`trailwarden scan
--no-bundled --rules …`, one worker, findings to /dev/null; it includes the process start and the
rule load), the start-up alone (the same command on an empty folder), the plain loop's, and
events per second for the scan without start-up (as bench/bench.py reports) and for the loop. Figures only: nothing is asserted."""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import corpus as bench_corpus  # bench/corpus.py, beside this file

from engine.detection.build import load_ruleset

REPO = Path(__file__).resolve().parents[1]
SIGMA = REPO.parent / "shared" / "data" / "sigma-cloudtrail-rules" / "rules"
NAMESPACE = uuid.UUID("8a0c7d1e-5b2f-4c3a-9e6d-1f2a3b4c5d6e")


def corpus_pairs(files: list[Path], limit: int = 400) -> list[tuple[str, str]]:
    """Distinct (eventSource, eventName) pairs of the corpus, most frequent first."""
    counts: dict[tuple[str, str], int] = {}
    for file in files[:50]:
        with gzip.open(file) as handle:
            for record in json.load(handle)["Records"]:
                pair = (record.get("eventSource"), record.get("eventName"))
                if all(isinstance(p, str) for p in pair):
                    counts[pair] = counts.get(pair, 0) + 1
    return sorted(counts, key=lambda p: -counts[p])[:limit]


def _retarget(node: Any, source: str, name: str) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            field = str(key).split("|")[0]
            if field == "eventSource" and "|" not in str(key):
                out[key] = source
            elif field == "eventName" and "|" not in str(key):
                out[key] = name
            else:
                out[key] = _retarget(value, source, name)
        return out
    if isinstance(node, list):
        return [_retarget(item, source, name) for item in node]
    return node


def variants(count: int, pairs: list[tuple[str, str]]) -> Iterator[tuple[str, dict[str, Any]]]:
    originals = sorted(SIGMA.rglob("*.yml"))
    pair = 0
    for path in originals:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        yield path.name, data
        for k in range(1, count):
            copy = json.loads(json.dumps(data, default=str))
            copy["id"] = str(uuid.uuid5(NAMESPACE, f"{data['id']}/{k}"))
            copy["title"] = f"{data['title']} (variant {k})"
            source, name = pairs[pair % len(pairs)]
            pair += 1
            retargeted = _retarget(copy["detection"], source, name)
            for key, value in retargeted.items():
                if key.startswith("selection") and isinstance(value, dict):
                    if not any(str(k).split("|")[0] in ("eventSource", "eventName") for k in value):
                        value.update({"eventSource": source, "eventName": name})  # give it a service
                    # A real rule fires rarely: its selections read fields and mostly say no.
                    value["userAgent|contains"] = f"tool-{k}/"
            copy["detection"] = retargeted
            yield f"{path.stem}-{k}.yml", copy


def timed(function: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def plain_loop(files: list[Path]) -> int:
    events = 0
    for file in files:
        with gzip.open(file) as handle:
            events += len(json.load(handle)["Records"])
    return events


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument(
        "--variants", type=int, default=14, help="copies of each shared rule, the original included"
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--corpus-dir", type=Path, default=Path(tempfile.gettempdir()) / "trailwarden-bench-sigma"
    )
    args = parser.parse_args()
    if not SIGMA.is_dir():
        sys.exit(f"the shared Sigma rules are not at {SIGMA}")

    built = bench_corpus.build(
        args.corpus_dir / f"generated-{args.events}", bench_corpus.Plan("generated", events=args.events)
    )
    files = [built.root / name for name in built.files]
    pairs = corpus_pairs(files)
    with tempfile.TemporaryDirectory() as folder:
        rules_dir = Path(folder) / "sigma"
        rules_dir.mkdir()
        written = 0
        for name, data in variants(args.variants, pairs):
            (rules_dir / name).write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
            written += 1
        cold, ruleset = timed(lambda: load_ruleset([rules_dir], bundled=False))
        warm = min(timed(lambda: load_ruleset([rules_dir], bundled=False))[0] for _ in range(args.repeat))
        pinned = sum(1 for r in ruleset.rules if r.sources is not None or r.names is not None)
        print(
            f"rules: {written} Sigma files, {len(ruleset.rules)} compiled, {pinned} pinned in the index, {len(ruleset.errors)} errors"
        )
        print(f"load + compile: {cold:.2f} s cold, {warm:.2f} s warm (best of {args.repeat})")

        empty = Path(folder) / "empty"
        empty.mkdir()
        base = [
            sys.executable,
            "-m",
            "engine.cli",
            "scan",
            "--workers",
            "1",
            "--no-bundled",
            "--rules",
            str(rules_dir),
            "-o",
            os.devnull,
        ]
        scans, starts, loops = [], [], []
        for _ in range(args.repeat):  # in rounds, so a machine that slows down slows all three alike
            seconds, result = timed(
                lambda: subprocess.run(
                    [*base, str(built.root / "AWSLogs")],
                    capture_output=True,
                    text=True,
                    cwd=REPO,
                    check=False,
                )
            )
            scans.append(seconds)
            starts.append(
                timed(
                    lambda: subprocess.run([*base, str(empty)], capture_output=True, cwd=REPO, check=False)
                )[0]
            )
            loops.append(timed(lambda: plain_loop(files))[0])
    total, start, loop = min(scans), min(starts), min(loops)
    scan = max(total - start, 1e-9)
    print(f"corpus: {built.events:,} events in {len(files)} files, {built.gzip_bytes / 1e6:.1f} MB gzip")
    print(
        f"scan, one worker, {len(ruleset.rules)} Sigma rules: {total:.2f} s in all (exit {result.returncode}), of which {start:.2f} s start-up (imports, rule load: an empty folder scanned)"
    )
    print(f"scan without start-up: {scan:.2f} s, {built.events / scan:,.0f} events/s")
    print(f"plain gzip + json.load loop: {loop:.2f} s, {built.events / loop:,.0f} events/s")
    print(f"scan / plain loop: {scan / loop:.2f}x the time")


if __name__ == "__main__":
    main()
