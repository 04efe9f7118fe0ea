"""trailwarden's throughput benchmark (issue 7): on the same gzip files, in one run, it times

1. the baseline: a plain `gzip.open` + `json.load` loop;
2. the naive approach: the jmespath library running every rule's expression on every event (on an
   evenly spread sample of the files: it is slow, and events/s is a rate);
3. `trailwarden scan` with one worker, and 4. with every core (`--workers N`),

each in a fresh process, and prints events/s, the ratios, and peak RSS. With fewer than 60 rules in
the bundled packs it adds generated variants of bundled rules up to 60, and says so.

    .venv/bin/python bench/bench.py                        # 1,000,000 generated events (a few minutes)
    .venv/bin/python bench/bench.py --gzip-mb 1024         # peak RSS while scanning 1 GiB of gzip
    .venv/bin/python bench/bench.py --events 5000 --json   # a quick, machine-readable run

Engine events/s exclude the command's fixed start-up cost (imports, loading and compiling the rules),
measured by scanning an empty folder with the same rules, since the baseline's loop excludes its own;
the wall-clock figures including it are printed beside them. Corpora are kept in --corpus-dir and
reused when their parameters match."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/ is run as scripts, not a package
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from corpus import Corpus, Plan, build, risky_templates
from measure import Run, run
from variants import TARGET_RULES, pad_rules

from engine.detection.build import load_ruleset

BENCH = Path(__file__).resolve().parent

TARGETS = {"vs_baseline": 1.0, "vs_naive": 30.0, "all_vs_one": 1.8, "peak_rss_mb": 300.0}
RSS_CORPUS_MB = 1024


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass(slots=True)
class Setup:
    """What every measurement shares: the rule arguments, the work folder, the command to run."""

    work: Path
    rule_args: list[str]
    rules: int
    bundled: int
    variants: int
    workers_all: int
    workers_supported: bool
    stateless: set[str] = field(default_factory=set)  # rules whose findings map 1:1 to matches
    scan_args: list[str] = field(default_factory=list)  # extra options for every measured scan

    def scan_command(self, target: Path, output: Path, workers: int | None) -> list[str]:
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
        if workers is not None and self.workers_supported:
            command += ["--workers", str(workers)]
        return command + self.rule_args + self.scan_args


def prepare(work: Path, workers: int | None, scan_args: list[str]) -> Setup:
    bundled = load_ruleset().selected()
    rules_dir = work / "rules"
    for old in rules_dir.glob("*.yml"):
        old.unlink()
    added = pad_rules(bundled, rules_dir)
    rule_args = ["--rules", str(rules_dir)] if added else []
    ruleset = load_ruleset([rules_dir] if added else [])
    selected = ruleset.selected()
    help_text = run([sys.executable, "-m", "engine.cli", "scan", "--help"]).stdout
    stateless = {
        r.id
        for r in selected
        if r.rule.kind == "rule"
        and r.rule.generate
        and not (r.rule.dedup or r.rule.threshold or r.rule.correlation)
    }
    return Setup(
        work=work,
        rule_args=rule_args,
        rules=len(selected),
        bundled=len(bundled),
        variants=added,
        workers_all=workers or len(os.sched_getaffinity(0)),
        workers_supported="--workers" in help_text,
        stateless=stateless,
        scan_args=scan_args,
    )


def _phase(setup: Setup, phase: str, files: list[Path]) -> tuple[dict[str, Any], Run]:
    listing = setup.work / f"{phase}-files.txt"
    listing.write_text("\n".join(map(str, files)))
    extra = setup.rule_args if phase == "naive" else []
    result = run([sys.executable, str(BENCH / "phases.py"), phase, str(listing), *extra])
    if result.returncode != 0:
        raise RuntimeError(f"{phase} phase failed:\n{result.stderr}")
    return json.loads(result.stdout), result


def _spread(corpus: Corpus, budget: int) -> list[Path]:
    """Files evenly spread over the corpus, adding up to about `budget` events."""
    step = max(1, corpus.events // max(1, budget))
    chosen, total = [], 0
    for path, size in list(zip(corpus.paths(), corpus.sizes, strict=True))[::step]:
        chosen.append(path)
        total += size
        if total >= budget:
            break
    return chosen


def _findings(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    with path.open("rb") as handle:
        return [orjson.loads(line) for line in handle if line.strip()]


def net(seconds: float, startup: float) -> float:
    """A scan's time without the start-up; on a corpus that scans in about the start-up time the
    difference is noise, so it is kept at a millisecond at least (the report says so)."""
    return max(seconds - startup, 1e-3)


def _scan(setup: Setup, corpus: Corpus, workers: int | None, tag: str) -> tuple[Run, list[dict[str, Any]]]:
    output = setup.work / f"findings-{corpus.kind}-{tag}.jsonl"
    output.unlink(missing_ok=True)
    result = run(setup.scan_command(corpus.root / "AWSLogs", output, workers))
    if result.returncode not in (0, 1):
        raise RuntimeError(f"trailwarden scan exited {result.returncode}:\n{result.stderr[-3000:]}")
    return result, _findings(output)


@dataclass(slots=True)
class Round:
    """One pass of the timed runs, back to back: on a shared machine whose speed drifts by 10-20 %
    from one minute to the next, runs compared with each other must share the same minutes."""

    baseline: tuple[dict[str, Any], Run]
    one: Run
    many: Run

    def ratio(self, startup: float) -> float:
        return net(self.one.seconds, startup) / net(self.many.seconds, startup)


def _rounds(
    setup: Setup, corpus: Corpus, repeat: int, parallel: bool
) -> tuple[list[Round], list[Any], list[Any]]:
    """`repeat` rounds of baseline, 1 worker, all cores; each figure is later the best of its runs.
    Returns the rounds and the last findings of each scan."""
    rounds, found_one, found_many = [], [], []
    for number in range(1, repeat + 1):
        scans = f"1 worker and {setup.workers_all}" if parallel else "1 worker"
        log(
            f"  round {number} of {repeat}: baseline (gzip.open + json.load), trailwarden scan with {scans} …"
        )
        baseline = _phase(setup, "baseline", corpus.paths())
        one, found_one = _scan(setup, corpus, 1, "1")
        many, found_many = _scan(setup, corpus, setup.workers_all, "all") if parallel else (one, found_one)
        rounds.append(Round(baseline, one, many))
    return rounds, found_one, found_many


def measure_corpus(setup: Setup, corpus: Corpus, naive_events: int, repeat: int) -> dict[str, Any]:
    paths = corpus.paths()
    log(f"corpus: {corpus.describe()}")
    sample = _spread(corpus, naive_events)
    log(
        f"  naive (jmespath library, {setup.rules} rules, every rule on every event) on {len(sample)} files …"
    )
    naive, _ = _phase(setup, "naive", sample)
    empty = setup.work / "empty"
    empty.mkdir(exist_ok=True)
    load_before = os.getloadavg()[0]
    idle = min(
        (run(setup.scan_command(empty, setup.work / "empty.jsonl", 1)) for _ in range(2)),
        key=lambda r: r.seconds,
    )
    startup = idle.seconds
    log(f"  trailwarden start-up (imports, rules): {startup:.2f}s")
    parallel = setup.workers_supported and setup.workers_all > 1
    rounds, found_one, found_many = _rounds(setup, corpus, repeat, parallel)
    base = min((r.baseline for r in rounds), key=lambda b: b[0]["seconds"])
    one = min((r.one for r in rounds), key=lambda r: r.seconds)
    many = min((r.many for r in rounds), key=lambda r: r.seconds)
    events = corpus.events
    result: dict[str, Any] = {
        "corpus": corpus.kind,
        "description": corpus.describe(),
        "events": events,
        "files": len(paths),
        "gzip_mb": corpus.gzip_bytes / 2**20,
        "bytes_per_event": corpus.bytes_per_event,
        "risky_events": corpus.risky,
        "baseline_eps": base[0]["events"] / base[0]["seconds"],
        "baseline_seconds": base[0]["seconds"],
        "naive_eps": naive["events"] / naive["seconds"],
        "naive_events": naive["events"],
        "startup_seconds": startup,
        "engine_eps_1": events / net(one.seconds, startup),
        "engine_eps_all": events / net(many.seconds, startup),
        "engine_wall_eps_1": events / one.seconds,
        "engine_wall_eps_all": events / many.seconds,
        "engine_seconds_1": one.seconds,
        "engine_seconds_all": many.seconds,
        "baseline_cpu_eps": base[0]["events"] / base[0]["cpu_seconds"],
        "engine_cpu_eps_1": events / net(one.cpu_seconds, idle.cpu_seconds),
        "engine_cpu_seconds_all": many.cpu_seconds,
        "load_average": [load_before, os.getloadavg()[0]],
        "peak_rss_mb": max(one.peak_rss_mb, many.peak_rss_mb),
        "peak_rss_mb_1": one.peak_rss_mb,
        "peak_rss_mb_all": many.peak_rss_mb,
        "tree_rss_mb_all": many.tree_rss_mb,
        "baseline_peak_rss_mb": base[1].peak_rss_mb,
        "findings": len(found_one),
        "startup_dominates": one.seconds < 2 * startup,
        "findings_identical": sorted(f["finding_id"] for f in found_one)
        == sorted(f["finding_id"] for f in found_many),
        "rounds": [
            {
                "baseline_eps": r.baseline[0]["events"] / r.baseline[0]["seconds"],
                "engine_eps_1": events / net(r.one.seconds, startup),
                "engine_eps_all": events / net(r.many.seconds, startup),
                "all_vs_one": r.ratio(startup),
            }
            for r in rounds
        ],
    }
    result.update(_agreement(setup, naive["matches"], found_one, {str(p) for p in sample}))
    return result


def _agreement(
    setup: Setup, matches: list[list[Any]], findings: list[dict[str, Any]], files: set[str]
) -> dict[str, Any]:
    """Naive matches and engine findings of the stateless rules on the naive sample must be the same pairs."""
    naive_pairs = {(rule, event, source) for rule, event, source in matches if rule in setup.stateless}
    engine_pairs = {
        (f["rule_id"], f["event_id"], f["origin"]["source"])
        for f in findings
        if f["rule_id"] in setup.stateless and f["origin"]["source"] in files
    }
    return {
        "naive_matches": len(naive_pairs),
        "naive_agrees": naive_pairs == engine_pairs,
        "naive_only": sorted(map(list, naive_pairs - engine_pairs))[:5],
        "engine_only": sorted(map(list, engine_pairs - naive_pairs))[:5],
    }


def summarise(setup: Setup, generated: dict[str, Any], samples: dict[str, Any] | None) -> dict[str, Any]:
    g = generated
    ratios = {
        "one_vs_baseline": g["engine_eps_1"] / g["baseline_eps"],
        "one_vs_naive": g["engine_eps_1"] / g["naive_eps"],
        "all_vs_one": g["engine_eps_all"] / g["engine_eps_1"],
        "all_vs_baseline": g["engine_eps_all"] / g["baseline_eps"],
    }
    rss_applies = g["gzip_mb"] >= RSS_CORPUS_MB * 0.98
    targets = {
        "one_worker_vs_baseline": ratios["one_vs_baseline"] >= TARGETS["vs_baseline"],
        "one_worker_vs_naive": ratios["one_vs_naive"] >= TARGETS["vs_naive"],
        "all_cores_vs_one": (ratios["all_vs_one"] >= TARGETS["all_vs_one"])
        if setup.workers_supported
        else None,
        "peak_rss_1gb": (g["peak_rss_mb"] < TARGETS["peak_rss_mb"]) if rss_applies else None,
    }
    return {
        **{
            k: g[k]
            for k in ("events", "baseline_eps", "naive_eps", "engine_eps_1", "engine_eps_all", "peak_rss_mb")
        },
        "rules": setup.rules,
        "rules_bundled": setup.bundled,
        "rules_variants": setup.variants,
        "workers_all": setup.workers_all,
        "workers_supported": setup.workers_supported,
        "scan_args": setup.scan_args,
        "ratios": ratios,
        "targets": targets,
        "generated": g,
        "samples": samples,
    }


def report(summary: dict[str, Any]) -> str:
    lines = []
    rules = f"{summary['rules']} rules"
    if summary["rules_variants"]:
        rules += (
            f" ({summary['rules_bundled']} bundled + {summary['rules_variants']} generated variants of bundled rules,"
            f" to reach {TARGET_RULES})"
        )
    lines.append(f"trailwarden benchmark — {rules}, {summary['workers_all']} cores")
    if summary["scan_args"]:
        lines.append(f"scans run with: {' '.join(summary['scan_args'])}")
    if not summary["workers_supported"]:
        lines.append("note: this trailwarden has no --workers option yet: 'all cores' is the 1-worker run")
    for name in ("generated", "samples"):
        c = summary[name]
        if c is None:
            continue
        lines.append("")
        lines.append(c["description"])
        base = c["baseline_eps"]
        rows = [
            ("baseline: gzip.open + json.load", base, None, c["baseline_peak_rss_mb"]),
            (
                f"naive: jmespath, every rule on every event ({c['naive_events']:,} events)",
                c["naive_eps"],
                None,
                None,
            ),
            ("trailwarden scan, 1 worker", c["engine_eps_1"], c["engine_wall_eps_1"], c["peak_rss_mb_1"]),
            (
                f"trailwarden scan, {summary['workers_all']} workers",
                c["engine_eps_all"],
                c["engine_wall_eps_all"],
                c["peak_rss_mb_all"],
            ),
        ]
        for label, eps, wall, rss in rows:
            text = f"  {label:<62} {eps:>11,.0f} ev/s  {eps / base:5.2f}x baseline  {eps / c['naive_eps']:6.1f}x naive"
            if wall is not None:
                text += f"  (wall {wall:,.0f} ev/s)"
            if rss is not None:
                text += f"  peak RSS {rss:,.0f} MB"
            lines.append(text)
        lines.append(
            f"  CPU time only (what other processes on the machine cannot change): baseline"
            f" {c['baseline_cpu_eps']:,.0f} ev/s, trailwarden 1 worker {c['engine_cpu_eps_1']:,.0f} ev/s"
            f" ({c['engine_cpu_eps_1'] / c['baseline_cpu_eps']:.2f}x baseline); load average"
            f" {c['load_average'][0]:.1f} -> {c['load_average'][1]:.1f} on {summary['workers_all']} cores"
        )
        if c["startup_dominates"]:
            lines.append(
                "  note: this corpus scans in less than twice the start-up time, so the figures without"
                " start-up are mostly noise; measure on --events 1000000"
            )
        if len(c["rounds"]) > 1:
            ratios = sorted(r["all_vs_one"] for r in c["rounds"])
            lines.append(
                f"  each figure is the best of {len(c['rounds'])} rounds run back to back; per round, 1 worker /"
                f" {summary['workers_all']} workers: "
                + ", ".join(f"{r['engine_eps_1']:,.0f} / {r['engine_eps_all']:,.0f}" for r in c["rounds"])
                + f" ev/s; {summary['workers_all']} workers vs 1 within a round: {ratios[0]:.2f}-{ratios[-1]:.2f}x"
                f" (median {statistics.median(ratios):.2f}x)"
            )
        if c["tree_rss_mb_all"]:
            lines.append(f"  all-cores process tree, summed RSS (sampled): {c['tree_rss_mb_all']:,.0f} MB")
        lines.append(
            f"  start-up (imports, rules) {c['startup_seconds']:.2f}s, excluded above; findings {c['findings']:,};"
            f" same findings with 1 and {summary['workers_all']} workers: {c['findings_identical']};"
            f" naive and engine agree on the sample ({c['naive_matches']:,} matches): {c['naive_agrees']}"
        )
    lines.append("")
    for name, ok in summary["targets"].items():
        lines.append(f"target {name}: {'n/a' if ok is None else 'met' if ok else 'NOT met'}")
    return "\n".join(lines)


def _run(args: argparse.Namespace, events: int, root: Path, work: Path) -> dict[str, Any]:
    setup = prepare(work, args.workers, shlex.split(args.scan_args))
    risky = risky_templates(load_ruleset())
    tag = f"gz{args.gzip_mb:g}" if args.gzip_mb else f"ev{events}"
    log("writing or reusing the generated corpus …")
    generated = build(
        root / f"generated-{args.seed}-{tag}",
        Plan("generated", args.seed, None if args.gzip_mb else events, args.gzip_mb, risky=risky),
    )
    results = measure_corpus(setup, generated, args.naive_events, args.repeat)
    samples = None
    if args.samples_events:
        try:
            amplified = build(
                root / f"samples-{args.seed}-ev{args.samples_events}",
                Plan("amplified", args.seed, args.samples_events),
            )
        except FileNotFoundError as exc:
            log(f"samples corpus skipped: {exc} (../shared is absent)")
        else:
            samples = measure_corpus(setup, amplified, args.naive_events, args.repeat)
    return summarise(setup, results, samples)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="trailwarden throughput benchmark (issue 7)")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--events", type=int, help="generated corpus size in events (default 1,000,000)")
    size.add_argument(
        "--gzip-mb", type=float, help="generated corpus size in MiB of gzip (1024 for the RSS check)"
    )
    parser.add_argument(
        "--samples-events", type=int, default=300_000, help="amplified-samples corpus size (0: skip)"
    )
    parser.add_argument(
        "--naive-events", type=int, default=20_000, help="events the naive approach is timed on"
    )
    parser.add_argument(
        "--workers", type=int, help="workers of the 'all cores' run (default: the cores available)"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="rounds of baseline and scans; each figure is the best of its rounds",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--corpus-dir", type=Path, default=Path(tempfile.gettempdir()) / "trailwarden-bench")
    parser.add_argument(
        "--scan-args", default="", help="extra options for the measured scans, e.g. '--lateness 1h'"
    )
    parser.add_argument("--json", action="store_true", help="print a machine-readable summary on stdout")
    args = parser.parse_args(argv)
    events = args.events if (args.events or args.gzip_mb) else 1_000_000
    root = args.corpus_dir.resolve()
    with tempfile.TemporaryDirectory(prefix="trailwarden-bench-") as work:  # rule variants, findings
        summary = _run(args, events, root, Path(work))
    if args.json:
        print(json.dumps(summary, indent=1))
    else:
        print(report(summary))


if __name__ == "__main__":
    main()
