"""Lean decoding: which gzip inflater and which JSON decoder read CloudTrail S3 delivery files fastest,
with the same results.

Run:  .venv/bin/python bench/bench_decoding.py [--events 100000] [--repeat 3] [--json]
      .venv/bin/python bench/bench_decoding.py --files /tmp/trailwarden-bench/generated-7-ev1000000/AWSLogs

The input is a folder of `.json.gz` delivery files: by default bench/corpus.py's seeded generated
corpus (written once into --corpus-dir, where bench/bench.py keeps and reuses its own), or any folder
given with --files. Every file is read into memory first, so the disk is never timed, and its
inflated text is kept there too (about seven times the gzip: --max-gzip-mb caps what is read).

1. Inflate: every file with the standard library (`gzip.decompress`, `zlib.decompressobj`), ISA-L
   (`isal_zlib.decompressobj`, what the engine uses, and `igzip.decompress`), zlib-ng when it is
   installed, and the engine's own `gunzip_bytes` (ISA-L in bounded steps: the wrapper's price).
   Printed: MB/s of gzip input (10^6 bytes), µs per event, and whether every output is byte-identical
   to the standard library's.
2. Parse, on the inflated files held in memory: `json.loads`, `orjson.loads`, msgspec untyped, the
   engine's `jsontext.loads` (orjson and the nesting limit), and the lean path of
   engine/decoding/lean.py in three steps — msgspec splitting `{"Records": [...]}` into `Raw`
   records; plus each record's index fields read into a TypedDict; plus, as in a real scan, a full
   orjson parse of the records the bundled rules' index wants (or of --full-fraction of them).
   Printed: µs per event and the share parsed in full. Checked: every decoder gives the standard
   library's documents; the lean path gives as many records, the same index fields, and the same
   record for each one parsed in full.

Timed loops run with the garbage collector off (after a collection) and drop each result at once, so
the figures are the decoders' and not the collector's or the memory's; each figure is the best of
--repeat runs, the decoders taking turns so that a busy machine slows them all alike."""

from __future__ import annotations

import argparse
import gc
import gzip
import importlib.metadata
import json
import platform
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

import msgspec
import orjson
from isal import igzip, isal_zlib

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/ is run as scripts, not a package
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from corpus import Plan, build, risky_templates

from engine.decoding.compression import gunzip_bytes
from engine.decoding.jsontext import loads as engine_loads
from engine.decoding.lean import BASE_PATHS, Head, LeanPlan
from engine.decoding.limits import DEFAULT_LIMITS
from engine.detection.build import load_ruleset
from engine.detection.index import RuleIndex
from engine.detection.ruleset import RuleSet
from engine.detection.stateful.members import with_members

zlib_ng: ModuleType | None
gzip_ng: ModuleType | None
try:  # optional: a dev dependency, measured only when installed
    from zlib_ng import gzip_ng, zlib_ng
except ImportError:
    zlib_ng = gzip_ng = None

FieldPath = tuple[str, ...]  # a field of an event: ("userIdentity", "type")
GZIP_WBITS = 31  # zlib's "gzip header and trailer" mode
STDLIB_INFLATE = "gzip.decompress (stdlib)"
STDLIB_PARSE = "json.loads (stdlib)"
_MISSING = object()

Task = Callable[[], None]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass(slots=True)
class Inputs:
    """The files in memory, gzip and inflated, and what they hold."""

    source: str
    blobs: list[bytes]  # gzip, as read from disk
    documents: list[bytes]  # inflated by the standard library: the reference for phase 1
    events: int

    @property
    def gzip_bytes(self) -> int:
        return sum(map(len, self.blobs))

    @property
    def json_bytes(self) -> int:
        return sum(map(len, self.documents))

    def describe(self) -> str:
        return (
            f"{self.events:,} events in {len(self.blobs):,} files, {self.gzip_bytes / 1e6:,.1f} MB gzip, "
            f"{self.json_bytes / 1e6:,.1f} MB JSON ({self.source})"
        )


# --- input ------------------------------------------------------------------------------------------


def generated_folder(args: argparse.Namespace, ruleset: RuleSet) -> Path:
    """bench/corpus.py's corpus, under the name bench/bench.py gives it, so either reuses the other's."""
    root = args.corpus_dir.resolve() / f"generated-{args.seed}-ev{args.events}"
    log(f"writing or reusing the generated corpus in {root} …")
    corpus = build(root, Plan("generated", args.seed, args.events, risky=risky_templates(ruleset)))
    return corpus.root / "AWSLogs"


def read_inputs(folder: Path, max_gzip_mb: float | None) -> Inputs:
    """Every `.json.gz` under `folder` in path order (up to `max_gzip_mb` MiB), and its inflated text:
    all of it stays in memory, about seven times the gzip size."""
    blobs: list[bytes] = []
    total = 0
    for path in sorted(folder.rglob("*.json.gz")):
        if max_gzip_mb is not None and total >= max_gzip_mb * 2**20:
            break
        blobs.append(path.read_bytes())
        total += len(blobs[-1])
    if not blobs:
        raise SystemExit(f"no .json.gz files under {folder}")
    documents = [gzip.decompress(blob) for blob in blobs]
    events = sum(_records_in(orjson.loads(document)) for document in documents)
    return Inputs(str(folder), blobs, documents, events)


def _records_in(document: Any) -> int:
    """Events in a document as the engine counts them here: the records of a delivery file, else one."""
    if isinstance(document, dict) and isinstance(document.get("Records"), list):
        return len(document["Records"])
    return 1


# --- timing -----------------------------------------------------------------------------------------


def timed(task: Task) -> float:
    """Seconds one run of `task` takes, with the collector off: with it on, a loop that builds
    millions of dicts spends a third of its time in collections that find nothing to free."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        task()
        return time.perf_counter() - start
    finally:
        gc.enable()


def best_of(tasks: dict[str, Task], repeat: int) -> dict[str, float]:
    """The best time of each task over `repeat` rounds; every round runs every task once, so load
    from elsewhere (another benchmark on the same two cores) falls on all of them alike."""
    best = dict.fromkeys(tasks, float("inf"))
    for round_ in range(repeat):
        for name, task in tasks.items():
            best[name] = min(best[name], timed(task))
        log(f"  round {round_ + 1}/{repeat} done")
    return best


def each(work: Callable[[bytes], Any], items: Sequence[bytes]) -> Task:
    """A loop calling `work` on every item and dropping its result at once: keeping the results
    would time the growth of the heap as much as the work."""

    def task() -> None:
        for item in items:
            work(item)

    return task


# --- phase 1: inflate -------------------------------------------------------------------------------


def via_decompressobj(new: Callable[[int], Any]) -> Callable[[bytes], bytes]:
    """Inflate with a zlib-style decompressobj, as the engine does: one object per gzip member."""

    def inflate(data: bytes) -> bytes:
        inflater = new(GZIP_WBITS)
        out = inflater.decompress(data)
        if not inflater.unused_data:
            return out
        parts = [out]  # more members follow (Firehose concatenates them)
        while data := inflater.unused_data:
            inflater = new(GZIP_WBITS)
            parts.append(inflater.decompress(data))
        return b"".join(parts)

    return inflate


def inflaters() -> dict[str, Callable[[bytes], bytes] | None]:
    """The candidates; None marks one whose package is not installed."""
    found: dict[str, Callable[[bytes], bytes] | None] = {
        STDLIB_INFLATE: gzip.decompress,
        "zlib.decompressobj(31) (stdlib)": via_decompressobj(zlib.decompressobj),
        "isal_zlib.decompressobj(31)": via_decompressobj(isal_zlib.decompressobj),
        "isal igzip.decompress": igzip.decompress,
        "zlib_ng.decompressobj(31)": None if zlib_ng is None else via_decompressobj(zlib_ng.decompressobj),
        "zlib-ng gzip_ng.decompress": None if gzip_ng is None else gzip_ng.decompress,
    }
    found["engine gunzip_bytes (isal, 16 MiB steps)"] = partial(gunzip_bytes, limit=1 << 40)
    return found


def phase_inflate(inputs: Inputs, repeat: int) -> list[dict[str, Any]]:
    candidates = inflaters()
    present = {name: work for name, work in candidates.items() if work is not None}
    log(f"inflate: {len(present)} inflaters, best of {repeat}")
    seconds = best_of({name: each(work, inputs.blobs) for name, work in present.items()}, repeat)
    rows = []
    for name, work in candidates.items():
        if work is None:
            rows.append({"name": name, "installed": False})
            continue
        identical = all(
            work(blob) == document for blob, document in zip(inputs.blobs, inputs.documents, strict=True)
        )
        took = seconds[name]
        rows.append(
            {
                "name": name,
                "installed": True,
                "seconds": took,
                "gzip_mb_per_s": inputs.gzip_bytes / 1e6 / took,
                "us_per_event": took / inputs.events * 1e6,
                "vs_stdlib": seconds[STDLIB_INFLATE] / took,
                "identical": identical,
            }
        )
    return rows


# --- phase 2: parse ---------------------------------------------------------------------------------


def bundled_plan(ruleset: RuleSet, full_fraction: float | None) -> tuple[LeanPlan, int]:
    """The lean plan a scan with the bundled rules builds (engine.pipeline.Scanner._lean_plan): the
    index's key fields, and `wants` = the index gives the record a rule. With `full_fraction`, a
    steady share of the records is wanted instead, whatever they hold (a what-if for other rules)."""
    index = RuleIndex(with_members(ruleset.selected(), ruleset.rules))
    candidates_for = index.candidates_for
    wants = every(full_fraction) if full_fraction is not None else lambda head: bool(candidates_for(head))
    return LeanPlan(index.key_paths, wants), len(index.rules)


def every(fraction: float) -> Callable[[Head], bool]:
    """Wants `fraction` of the records, spread evenly (an accumulator, no randomness)."""
    owed = 0.0

    def wants(head: Head) -> bool:
        nonlocal owed
        owed += fraction
        if owed >= 1.0:
            owed -= 1.0
            return True
        return False

    return wants


def lean_split(plan: LeanPlan) -> Callable[[bytes], Any]:
    """Step 1: the records of a delivery file as `msgspec.Raw` slices; nothing is built."""
    return plan.delivery


def lean_heads(plan: LeanPlan) -> Callable[[bytes], None]:
    """Step 2: plus each record's index fields, the only dict built for most records."""
    delivery, head_of = plan.delivery, plan.head

    def decode(document: bytes) -> None:
        raws = delivery(document)
        if raws is None:
            orjson.loads(document)  # the full decoder's file
            return
        for raw in raws:
            head_of(raw)

    return decode


def lean_scan(plan: LeanPlan) -> Callable[[bytes], None]:
    """Step 3, the whole lean path: plus a full parse of each record the plan wants, or whose fields
    could not be read (engine.decoding.lean.LeanPlan.records without the Record wrapping)."""
    delivery, head_of, wants = plan.delivery, plan.head, plan.wants

    def decode(document: bytes) -> None:
        raws = delivery(document)
        if raws is None:
            orjson.loads(document)
            return
        for raw in raws:
            head = head_of(raw)
            if head is None or wants(head):
                orjson.loads(bytes(raw))

    return decode


def full_parsers() -> dict[str, Callable[[bytes], Any]]:
    return {
        STDLIB_PARSE: json.loads,
        "orjson.loads": orjson.loads,
        "msgspec.json.Decoder().decode (untyped)": msgspec.json.Decoder().decode,
        "engine jsontext.loads (orjson + depth limit)": partial(
            engine_loads, max_depth=DEFAULT_LIMITS.max_depth
        ),
    }


@dataclass(slots=True)
class LeanCheck:
    """What the lean path made of the files, against the standard library's documents."""

    records: int = 0
    full: int = 0  # records parsed in full: wanted, unreadable, or in a file the full decoder takes
    fallback_files: int = 0
    same: bool = True


def check_lean(plan: LeanPlan, document: bytes, expected: Any, check: LeanCheck) -> None:
    """Fold one file into `check`: as many records as the full parse, the same index fields in every
    head, the same record for every one parsed in full."""
    raws = plan.delivery(document)
    if raws is None:
        check.fallback_files += 1
        check.records += _records_in(expected)
        check.full += _records_in(expected)
        check.same &= orjson.loads(document) == expected
        return
    records = expected["Records"]
    check.records += len(raws)
    check.same &= len(raws) == len(records)
    paths = BASE_PATHS + plan.paths
    for raw, record in zip(raws, records, strict=False):  # lengths checked above
        head = plan.head(raw)
        if head is None or plan.wants(head):
            check.full += 1
            check.same &= orjson.loads(bytes(raw)) == record
        else:
            check.same &= all(_at(head, path) == _at(record, path) for path in paths)


def _at(value: Any, path: FieldPath) -> Any:
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return _MISSING
        value = value[key]
    return value


def phase_parse(inputs: Inputs, plan: LeanPlan, repeat: int) -> tuple[list[dict[str, Any]], LeanCheck]:
    parsers = full_parsers()
    lean = {
        "lean 1: msgspec split into Raw records": lean_split(plan),
        "lean 2: + index fields (TypedDict)": lean_heads(plan),
        "lean 3: + wanted records in full (orjson)": lean_scan(plan),
    }
    tasks = {name: each(work, inputs.documents) for name, work in (parsers | lean).items()}
    log(f"parse: {len(tasks)} decoders, best of {repeat}")
    seconds = best_of(tasks, repeat)
    same = dict.fromkeys(parsers, True)
    check = LeanCheck()
    for document in inputs.documents:  # one file at a time: the parsed corpus never sits in memory
        expected = json.loads(document)
        for name, parse in parsers.items():
            same[name] &= parse(document) == expected
        check_lean(plan, document, expected, check)
    same_records = check.same and check.records == inputs.events
    rows = []
    for name, took in seconds.items():
        rows.append(
            {
                "name": name,
                "seconds": took,
                "us_per_event": took / inputs.events * 1e6,
                "vs_stdlib": seconds[STDLIB_PARSE] / took,
                "same": same.get(name, same_records),
            }
        )
    return rows, check


# --- report -----------------------------------------------------------------------------------------


def versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {"python": platform.python_version()}
    for package in ("orjson", "msgspec", "isal", "zlib-ng"):
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            found[package] = None
    if zlib_ng is None:  # installed metadata, but the module does not import
        found["zlib-ng"] = None
    return found


def summarise(
    inputs: Inputs,
    inflate: list[dict[str, Any]],
    parse: list[dict[str, Any]],
    check: LeanCheck,
    rules: int,
    plan: LeanPlan,
    full_fraction: float | None,
) -> dict[str, Any]:
    return {
        "versions": versions(),
        "input": {
            "source": inputs.source,
            "files": len(inputs.blobs),
            "events": inputs.events,
            "gzip_bytes": inputs.gzip_bytes,
            "json_bytes": inputs.json_bytes,
        },
        "inflate": inflate,
        "parse": parse,
        "lean": {
            "wants": "bundled rules' index" if full_fraction is None else f"fixed fraction {full_fraction}",
            "rules": rules,
            "key_paths": [".".join(path) for path in plan.paths],
            "records": check.records,
            "parsed_in_full": check.full,
            "fraction_in_full": check.full / max(check.records, 1),
            "files_to_full_decoder": check.fallback_files,
        },
        "all_correct": all(row.get("identical", True) for row in inflate)
        and all(row["same"] for row in parse),
    }


def report(summary: dict[str, Any]) -> str:
    source = summary["input"]
    lean = summary["lean"]
    lines = [
        f"input: {source['events']:,} events in {source['files']:,} files, "
        f"{source['gzip_bytes'] / 1e6:,.1f} MB gzip, {source['json_bytes'] / 1e6:,.1f} MB JSON ({source['source']})",
        "versions: "
        + ", ".join(f"{name} {version or 'not installed'}" for name, version in summary["versions"].items()),
        "",
        f"{'inflate':<44} {'MB/s gzip':>10} {'µs/event':>9} {'vs stdlib':>10}  output",
    ]
    for row in summary["inflate"]:
        if not row["installed"]:
            lines.append(f"{row['name']:<44} zlib-ng not installed")
            continue
        lines.append(
            f"{row['name']:<44} {row['gzip_mb_per_s']:10.1f} {row['us_per_event']:9.2f} "
            f"{row['vs_stdlib']:9.2f}x  {'identical' if row['identical'] else 'DIFFERENT'}"
        )
    lines += ["", f"{'parse':<44} {'µs/event':>9} {'vs stdlib':>10}  result"]
    for row in summary["parse"]:
        lines.append(
            f"{row['name']:<44} {row['us_per_event']:9.2f} {row['vs_stdlib']:9.2f}x  "
            f"{'same' if row['same'] else 'DIFFERENT'}"
        )
    keys = ", ".join(lean["key_paths"]) or "none"
    lines += [
        "",
        f"lean: {lean['parsed_in_full']:,} of {lean['records']:,} records parsed in full "
        f"({lean['fraction_in_full']:.1%}; wanted by: {lean['wants']}, {lean['rules']} rules in the index, "
        f"index key fields: {keys}); {lean['files_to_full_decoder']:,} files went to the full decoder",
        "all outputs correct" if summary["all_correct"] else "SOME OUTPUTS DIFFER (see above)",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=100_000, help="generated corpus size in events")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--corpus-dir", type=Path, default=Path(tempfile.gettempdir()) / "trailwarden-bench")
    parser.add_argument("--files", type=Path, help="read this folder's .json.gz files instead of generating")
    parser.add_argument(
        "--max-gzip-mb", type=float, help="read files only up to this many MiB of gzip (all kept in memory)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="timing runs per figure (the best is kept)")
    parser.add_argument(
        "--full-fraction",
        type=float,
        help="parse this share of the records in full on the lean path (default: what the index wants)",
    )
    parser.add_argument("--json", action="store_true", help="print a machine-readable summary on stdout")
    args = parser.parse_args(argv)
    ruleset = load_ruleset([])
    folder = args.files if args.files is not None else generated_folder(args, ruleset)
    log(f"reading {folder} …")
    inputs = read_inputs(folder, args.max_gzip_mb)
    log(f"input: {inputs.describe()}")
    plan, rules = bundled_plan(ruleset, args.full_fraction)
    inflate = phase_inflate(inputs, args.repeat)
    parse, check = phase_parse(inputs, plan, args.repeat)
    summary = summarise(inputs, inflate, parse, check, rules, plan, args.full_fraction)
    print(json.dumps(summary, indent=1) if args.json else report(summary))
    if not summary["all_correct"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
