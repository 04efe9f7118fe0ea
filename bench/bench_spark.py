"""Spark next to local processes (issue 8): on one generated corpus (bench/corpus.py), it times

1. `trailwarden scan --workers 2` in a fresh process (and its fixed start-up: the same command on
   an empty folder), and
2. `spark-scan`'s job on a warm `local[2]` session (`engine.spark.run_scan`) with 1, 2 and 4
   partitions per core — the session's own start is timed once, apart: a cluster pays it once
   per application, not per scan —

checks that every Spark run made exactly the local scan's findings (by finding_id), and prints
events/s, the ratio to the local scan ("vs scan": its wall time; "vs engine": without its fixed
start-up, since the warm session's workers have compiled the rules already), and how the time
grows with partitions per core.

    .venv/bin/python bench/bench_spark.py                      # 300,000 generated events
    .venv/bin/python bench/bench_spark.py --events 50000 --json

Corpora are kept in --corpus-dir and reused when their parameters match."""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

from corpus import Plan, build, risky_templates  # noqa: E402

from engine.detection.build import load_ruleset  # noqa: E402
from engine.log import configure_logging  # noqa: E402
from engine.sources import SourceOptions  # noqa: E402
from engine.spark import JobConfig, plan_rules, run_scan, spark_session  # noqa: E402
from engine.spark.output import Destination, read_parts  # noqa: E402

CORES = 2
PER_CORE = (1, 2, 4)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def local_scan(target: Path, output: Path, workers: int) -> tuple[float, list[str]]:
    """Wall seconds of `trailwarden scan --workers N` in a fresh process, and its finding ids."""
    output.unlink(missing_ok=True)
    command = [
        sys.executable,
        "-m",
        "engine.cli",
        "scan",
        str(target),
        "--no-progress",
        "--output",
        str(output),
    ]
    command += ["--workers", str(workers)]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if result.returncode not in (0, 1):
        raise RuntimeError(f"scan exited {result.returncode}:\n{result.stderr[-3000:]}")
    ids = [orjson.loads(line)["finding_id"] for line in output.read_bytes().splitlines() if line.strip()]
    return seconds, ids


def spark_job(
    session: Any, target: Path, out: Path, partitions: int, config: JobConfig
) -> tuple[float, list[str], dict[str, Any]]:
    started = time.perf_counter()
    summary = run_scan(session, [str(target)], SourceOptions(), config, partitions=partitions, overwrite=True)
    seconds = time.perf_counter() - started
    ids = [
        orjson.loads(line)["finding_id"]
        for _, data in read_parts(Destination.parse(str(out)))
        for line in data.splitlines()
        if line.strip()
    ]
    return seconds, ids, summary.to_json()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=2, help="runs per configuration; the best is kept")
    parser.add_argument("--corpus-dir", type=Path, default=Path(tempfile.gettempdir()) / "trailwarden-bench")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    configure_logging("warning")

    corpus = build(
        args.corpus_dir / f"generated-{args.events}",
        Plan("generated", 7, args.events, None, risky=risky_templates(load_ruleset())),
    )
    log(f"corpus: {corpus.describe()}")
    target = corpus.root / "AWSLogs"
    work = Path(tempfile.mkdtemp(prefix="bench-spark-"))

    empty = work / "empty"
    empty.mkdir()
    startup = min(local_scan(empty, work / "empty.jsonl", CORES)[0] for _ in range(args.repeat))
    runs = [local_scan(target, work / "local.jsonl", CORES) for _ in range(args.repeat)]
    local_seconds = min(seconds for seconds, _ in runs)
    local_ids = collections.Counter(runs[0][1])
    log(
        f"scan --workers {CORES}: {local_seconds:.2f}s ({startup:.2f}s of it start-up), {sum(local_ids.values()):,} findings"
    )

    started = time.perf_counter()
    session, _ = spark_session(f"local[{CORES}]")
    session.sparkContext.setLogLevel("ERROR")
    session_seconds = time.perf_counter() - started
    config = JobConfig(rules=plan_rules((), bundled=True), output=str(work / "spark"))
    first, _, _ = spark_job(session, target, work / "spark", CORES, config)  # workers compile the rules here
    spark: list[dict[str, Any]] = []
    for per_core in PER_CORE:
        partitions = per_core * CORES
        best: tuple[float, list[str], dict[str, Any]] | None = None
        for _ in range(args.repeat):
            result = spark_job(session, target, work / "spark", partitions, config)
            if best is None or result[0] < best[0]:
                best = result
        assert best is not None
        seconds, ids, summary = best
        same = collections.Counter(ids) == local_ids
        spark.append(
            {
                "partitions_per_core": per_core,
                "partitions": partitions,
                "seconds": round(seconds, 3),
                "events_per_second": round(corpus.events / seconds),
                "vs_scan": round(local_seconds / seconds, 3),
                "vs_scan_without_startup": round((local_seconds - startup) / seconds, 3),
                "same_findings": same,
                "rule_compiles": summary["rule_compiles"],
            }
        )
        log(f"spark local[{CORES}], {partitions} partitions: {seconds:.2f}s, same findings: {same}")
    session.stop()

    figures = {
        "corpus": corpus.describe(),
        "events": corpus.events,
        "cores": CORES,
        "machine_cores": os.cpu_count(),
        "scan_workers_2": {
            "seconds": round(local_seconds, 3),
            "startup_seconds": round(startup, 3),
            "events_per_second": round(corpus.events / local_seconds),
            "events_per_second_without_startup": round(corpus.events / max(local_seconds - startup, 1e-9)),
        },
        "spark_session_start_seconds": round(session_seconds, 3),
        "spark_first_job_seconds": round(first, 3),
        "spark": spark,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    scan = figures["scan_workers_2"]
    print(f"\n{corpus.describe()}")
    print(
        f"scan --workers {CORES}: {scan['seconds']:.2f}s, {scan['events_per_second']:,} events/s "
        f"({scan['events_per_second_without_startup']:,} without its {startup:.2f}s start-up)"
    )
    print(
        f"Spark local[{CORES}]: session start {session_seconds:.1f}s (once per application); "
        f"first job {first:.2f}s (workers compile the rules)"
    )
    print(
        f"{'partitions/core':>16} {'partitions':>10} {'seconds':>8} {'events/s':>10} {'vs scan':>8} {'same':>5}"
    )
    for row in spark:
        print(
            f"{row['partitions_per_core']:>16} {row['partitions']:>10} {row['seconds']:>8.2f} "
            f"{row['events_per_second']:>10,} {row['vs_scan']:>7.2f}x {row['vs_scan_without_startup']:>8.2f}x "
            f"{row['same_findings']!s:>5}"
        )


if __name__ == "__main__":
    main()
