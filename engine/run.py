"""The public face of a scan, and the one place one is put together.

    config = ScanConfig(sources=("fixtures/AWSLogs/",), output="findings.jsonl")
    report = run_scan(config)          # load the rules, open sources and sinks, scan, deliver
    report.exit_code(config.fail_on)   # the README's exit codes

`load_rules(config)` loads and compiles the rule files; `run_blobs(rules, blobs, config)` scans
blobs a caller already has (a Lambda invocation, a test) into an emit callback or the configured
outputs. The command line, the worker pool, the Lambda handler, Spark tasks and `trailwarden
test` all build their Scanner through `scanner()` here, with the stages it takes."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from contextlib import nullcontext

import structlog

from engine.config import ScanConfig
from engine.detection.build import load_ruleset
from engine.detection.compiled_rule import CompiledRule
from engine.detection.ruleset import RuleSet
from engine.detection.stateful.stage import StatefulStage
from engine.errors import RuleError, UsageError
from engine.gc_tuning import scan_collector
from engine.parallel import WorkerDied, scan_parallel
from engine.pipeline import Scanner, StageFactory
from engine.report import ScanReport
from engine.sinks.outputs import Outputs, ReaderGone, open_outputs
from engine.sources import open_sources
from engine.statefile.db import StateDB
from engine.statefile.seen_events import SeenEvents
from engine.types import Blob, Emit, Skip

log = structlog.get_logger("trailwarden.scan")

__all__ = ["Progress", "load_rules", "run_blobs", "run_scan", "runnable_rules", "scanner"]

Progress = Callable[[Blob, ScanReport], None]  # called after each blob, with the report so far


def load_rules(config: ScanConfig) -> RuleSet:
    """Read, check and compile the configured rule files (and the bundled packs unless off).
    Never raises for a bad rule: the rule set's `errors` lists each problem with its position."""
    return load_ruleset(config.rule_paths, bundled=config.bundled)


def runnable_rules(ruleset: RuleSet, config: ScanConfig) -> list[CompiledRule]:
    """The rules a scan runs: refuses invalid rule files (unless --skip-invalid-rules) and a
    selection that leaves nothing."""
    if ruleset.errors and not config.skip_invalid_rules:
        raise RuleError(
            f"{len(ruleset.errors)} problem(s) in the rules; nothing was scanned",
            hint="run `trailwarden validate` for the full list, or scan with --skip-invalid-rules",
        )
    if not ruleset.rules:
        raise UsageError("no rules loaded", hint="give --rules PATH, or drop --no-bundled")
    rules = ruleset.runnable(config.select, config.exclude, config.min_severity)
    if not rules:
        raise UsageError("no rule is left to run after --select/--exclude/--min-severity")
    return rules


def local_windows(rules: Sequence[CompiledRule], config: ScanConfig) -> StageFactory:
    """The stateful stage of a scan that windows where it reads (one process, a pool's parent)."""
    settings, evidence = config.window_settings(), config.evidence
    return lambda emit: StatefulStage.build(rules, emit, settings, evidence=evidence)


def scanner(
    rules: Sequence[CompiledRule],
    config: ScanConfig,
    emit: Emit,
    *,
    stage: StageFactory | None = None,
    flush: Callable[[], bool] | None = None,
    seen: SeenEvents | None = None,
    db: StateDB | None = None,
    lean: bool = True,
) -> Scanner:
    """The one place a Scanner is made. `stage` defaults to local windows; a pool's workers, Spark's
    map side and rule tests give their own."""
    return Scanner(
        rules,
        emit,
        evidence=config.evidence,
        flush=flush,
        stage=stage if stage is not None else local_windows(rules, config),
        scope=config.scope(),
        seen=seen,
        atomic=db.transaction if db is not None else nullcontext,
        # a stream acknowledges each blob as its findings go out; a replay commits now and then
        commit_every=0.0 if config.follow else config.checkpoint_every,
        lean=lean,
    )


def run_scan(
    config: ScanConfig,
    *,
    ruleset: RuleSet | None = None,
    progress: Progress | None = None,
    notify: Callable[[str], None] | None = None,
) -> ScanReport:
    """Scan the configured sources with the configured rules into the configured outputs.

    Raises RuleError/UsageError/SinkError before any input is read when the rules or outputs
    cannot be used; after that, what goes wrong with input is in the report. Ctrl-C or SIGTERM
    (as KeyboardInterrupt) ends the scan early: what was found is delivered or spooled, and the
    report says it stopped (exit 3)."""
    if not config.sources:
        raise UsageError("give at least one SOURCE (a file, a folder, '-' for stdin, or s3://…)")
    ruleset = ruleset if ruleset is not None else load_rules(config)
    rules = runnable_rules(ruleset, config)
    outputs = open_outputs(
        config.format_name, config.output, config.sinks, config.sinks_config, config.state_path
    )
    db = StateDB.shared(config.state_path) if config.state_path else None
    seen = SeenEvents(db) if config.remembers_events else None
    scan = scanner(rules, config, outputs.submit, flush=outputs.flush, seen=seen, db=db)
    step = None if progress is None else (lambda blob: progress(blob, scan.report))
    log.info("scan started", rules=len(rules), sources=list(config.sources), workers=config.workers)
    try:
        items = open_sources(config.sources, config.source_options())
        with scan_collector():  # the one place the collector is tuned: for the whole scan
            if config.workers > 1 and not config.ordered:
                make = functools.partial(_worker_scanner, rules, config)
                scan_parallel(scan, make, items, config.workers, step)
            else:
                scan.scan_blobs(items, step)
    except WorkerDied as exc:  # what was found before it is delivered, and the scan exits 3
        scan.report.stopped = str(exc)
    except ReaderGone as exc:  # `trailwarden scan … | head`: the reader has what it wanted
        scan.report.stopped = str(exc)
        scan.report.reader_gone = True
    except KeyboardInterrupt:
        outputs.interrupted = True
        scan.report.stopped = "interrupted"
        scan.report.interrupted = True
        if notify is not None:
            notify("interrupted: delivering or spooling what was found so far (again to stop sending)")
    except UsageError:
        outputs.close(ScanReport())
        raise
    return _finish(scan, outputs, ruleset)


def _worker_scanner(
    rules: Sequence[CompiledRule], config: ScanConfig, emit: Emit, stage: StageFactory
) -> Scanner:
    return scanner(rules, config, emit, stage=stage)


def run_blobs(
    rules: Sequence[CompiledRule],
    blobs: Iterable[Blob | Skip],
    config: ScanConfig,
    *,
    emit: Emit | None = None,
) -> ScanReport:
    """Scan blobs a caller already has. Findings go to `emit` when given, else to the configured
    outputs (format, --output, sinks, spool), flushed before each blob is acknowledged."""
    outputs = (
        None
        if emit is not None
        else open_outputs(
            config.format_name, config.output, config.sinks, config.sinks_config, config.state_path
        )
    )
    if outputs is not None:
        scan = scanner(rules, config, outputs.submit, flush=outputs.flush)
    else:
        assert emit is not None
        scan = scanner(rules, config, emit)
    try:
        with scan_collector():
            scan.scan_blobs(blobs)
    except BaseException:
        scan.finish(interrupted=True)  # nothing more is committed: the batch is read again
        if outputs is not None:
            outputs.interrupted = True
            outputs.close(ScanReport())
        raise
    return _finish(scan, outputs, None)


def _finish(scan: Scanner, outputs: Outputs | None, ruleset: RuleSet | None) -> ScanReport:
    try:
        # before closing the outputs: open windows make findings at the end
        report = scan.finish(interrupted=scan.report.interrupted)
    except ReaderGone:
        report = scan.report.finish()
        report.reader_gone = True
    except KeyboardInterrupt:  # while windows closed: what they made so far is still delivered
        report = scan.report.finish()
        report.interrupted = True
        report.stopped = "interrupted"
        if outputs is not None:
            outputs.interrupted = True
    if outputs is not None:
        outputs.close(report)
    if ruleset is not None:
        report.rule_problems = len(ruleset.errors)
    return report
