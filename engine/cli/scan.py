"""`trailwarden scan`: the main job. Parse options, load rules, open sources and sinks, run the
pipeline, print the summary, exit with the code DESIGN.md fixes (0, 1, 2 or 3)."""

from __future__ import annotations

import math
import signal
import sys
from collections.abc import Callable, Sequence
from types import FrameType

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from engine.cli.loading import load_or_exit
from engine.cli.options import (
    exit_code,
    finding_options,
    input_options,
    rule_options,
    selection_options,
    source_options,
)
from engine.cli.summary import print_summary
from engine.detection.compiled_rule import CompiledRule
from engine.detection.stateful.clock import parse_duration
from engine.detection.stateful.members import with_members
from engine.detection.stateful.settings import (
    DEFAULT_LATENESS,
    DEFAULT_MAX_GROUPS,
    DEFAULT_MAX_WAITING,
    WindowSettings,
)
from engine.errors import TrailwardenError, UsageError
from engine.parallel import WorkerDied, default_workers, scan_parallel
from engine.pipeline import Scanner
from engine.scope import EventScope
from engine.sinks.outputs import open_delivery
from engine.sources import SourceOptions, open_sources
from engine.sources.blob import Blob
from engine.statefile.db import StateDB
from engine.statefile.seen_events import SeenEvents


@click.command()
@click.argument("sources", nargs=-1)
@rule_options
@selection_options
@finding_options
@input_options
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write findings to this file (default: stdout).",
)
@click.option(
    "--sink",
    "sinks",
    multiple=True,
    help="Send findings to a sink URL (splunk+https://…, elastic+https://…, webhook+https://…, securityhub://REGION, syslog+tcp://…); repeatable. Secrets come from the environment.",
)
@click.option(
    "--sinks-config",
    type=click.Path(exists=True, dir_okay=False),
    help="A YAML file describing several sinks.",
)
@click.option(
    "--state",
    "state_path",
    type=click.Path(dir_okay=False),
    help="SQLite file for checkpoints, windows and the delivery spool.",
)
@click.option(
    "--lookup-attribute",
    help="For cloudtrail-api://: AttributeKey=Value (e.g. EventSource=eks.amazonaws.com).",
)
@click.option(
    "--follow", is_flag=True, help="Keep reading new input (S3, SQS, CloudTrail API) until interrupted."
)
@click.option(
    "--poll-seconds",
    type=click.FloatRange(min=0),
    help="With --follow: pause between polls of S3 and the CloudTrail API (default 30 s).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Processes for local files (default: the number of cores); findings and their order are the same as with 1.",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress bar on stderr (default: when stderr is a terminal).",
)
# Stateful rules (dedup, thresholds, correlations): how late an event may come, how many groups stay open.
@click.option(
    "--lateness",
    help="Stateful rules: how far behind the newest event (in event time) an event may arrive and still "
    "count (30s, 15m, 1h, 2d); later ones are dropped and counted in the summary. Default: 15m with "
    "--follow or --state; otherwise the scan waits for the end of its input, so file order never matters.",
)
@click.option(
    "--max-groups",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_GROUPS,
    show_default=True,
    help="Stateful rules: open groups per rule before the least recently active is evicted (counted).",
)
@click.option(
    "--max-waiting",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_WAITING,
    show_default=True,
    help="Stateful rules: matching events one rule holds for the lateness before the oldest are taken early (counted).",
)
def scan(
    sources: tuple[str, ...],
    rule_paths: tuple[str, ...],
    no_bundled: bool,
    select: tuple[str, ...],
    exclude: tuple[str, ...],
    min_severity: str | None,
    format_name: str,
    output: str | None,
    sinks: tuple[str, ...],
    sinks_config: str | None,
    fail_on: str | None,
    no_evidence: bool,
    state_path: str | None,
    since: str | None,
    until: str | None,
    accounts: str | None,
    regions: str | None,
    profile: str | None,
    region: str | None,
    lookup_attribute: str | None,
    follow: bool,
    poll_seconds: float | None,
    skip_invalid_rules: bool,
    workers: int | None,
    progress: bool | None,
    lateness: str | None,
    max_groups: int,
    max_waiting: int,
) -> None:
    """Scan CloudTrail SOURCES (files, folders, '-', s3://bucket/prefix, sqs://queue, cloudtrail-api://region)."""
    if not sources:
        raise click.UsageError("give at least one SOURCE (a file, a folder, '-' for stdin, or s3://…)")
    ruleset = load_or_exit(rule_paths, no_bundled, allow_errors=skip_invalid_rules)
    rules = with_members(ruleset.selected(select, exclude, min_severity), ruleset.rules)
    windows = _window_settings(lateness, max_groups, max_waiting, state_path, follow)
    if not rules:
        click.echo("no rule is left to run after --select/--exclude/--min-severity", err=True)
        raise SystemExit(2)
    options = source_options(
        since,
        until,
        accounts,
        regions,
        profile,
        region,
        follow=follow,
        state_path=state_path,
        lookup_attribute=lookup_attribute,
        poll_seconds=poll_seconds,
    )
    try:
        delivery = open_delivery(format_name, output, sinks, sinks_config, state_path)
    except TrailwardenError as exc:
        click.echo(f"trailwarden: {exc}", err=True)
        raise SystemExit(exc.exit_code) from exc
    scanner = Scanner(
        rules,
        delivery.submit,
        evidence=not no_evidence,
        flush=delivery.flush,
        windows=windows,
        scope=EventScope.from_options(options),
        seen=_seen_events(state_path, follow),
    )
    _sigterm_as_interrupt()
    stopped = False
    try:
        _run(scanner, rules, sources, options, progress, workers or default_workers())
    except WorkerDied as exc:  # what was found before it is delivered, and the scan exits 3
        stopped = True
        click.echo(f"trailwarden: {exc}", err=True)
    except KeyboardInterrupt:
        delivery.interrupted = True
        click.echo("interrupted: delivering or spooling what was found so far", err=True)
    except UsageError as exc:
        delivery.close()
        click.echo(f"trailwarden: {exc}", err=True)
        raise SystemExit(2) from exc
    stats = scanner.finish()  # before closing delivery: open windows make findings at the end
    report = delivery.close()
    print_summary(
        stats,
        rule_errors=scanner.evaluator.errors,
        error_samples=scanner.evaluator.error_samples,
        rules_run=len(rules),
        delivery=report.lines,
    )
    incomplete = bool(stopped or stats.skipped or report.failed or ruleset.errors)
    raise SystemExit(exit_code(stats.findings_by_severity, fail_on, incomplete))


def _seen_events(state_path: str | None, follow: bool) -> SeenEvents | None:
    """A stream (or a scan that resumes) meets events CloudTrail delivered twice: remember recent
    event ids, in the state file when there is one. A one-off scan has no such need: its repeats
    carry the same finding_id, which destinations upsert."""
    if not (state_path or follow):
        return None
    return SeenEvents(StateDB(state_path) if state_path else None)


def _window_settings(
    lateness: str | None, max_groups: int, max_waiting: int, state_path: str | None, follow: bool
) -> WindowSettings:
    """A one-off scan knows where its input ends, so by default it waits for that end (an export
    read folder by folder is region after region, hours apart); a stream, or a scan whose windows
    outlive it, needs a bound on how long to wait."""
    if lateness is None:
        seconds = DEFAULT_LATENESS if follow or state_path else math.inf
    else:
        try:
            seconds = parse_duration(lateness)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--lateness") from exc
    return WindowSettings(
        lateness=seconds, max_groups=max_groups, max_waiting=max_waiting, state_path=state_path
    )


def _run(
    scanner: Scanner,
    rules: Sequence[CompiledRule],
    sources: tuple[str, ...],
    options: SourceOptions,
    show_progress: bool | None,
    workers: int,
) -> None:
    items = open_sources(sources, options)
    if show_progress is None:
        show_progress = sys.stderr.isatty()

    def scan_all(progress: Callable[[Blob], None] | None = None) -> None:
        # Follow mode and --state need one ordered process (checkpoints, saved windows, seen ids).
        if workers > 1 and not options.follow and not options.state_path:
            scan_parallel(scanner, rules, items, workers, progress)
        else:
            scanner.scan_blobs(items, progress=progress)

    if not show_progress:
        scan_all()
        return
    console = Console(stderr=True)
    with Progress(
        TextColumn("[bold]scanning[/bold] {task.fields[name]}"),
        BarColumn(bar_width=None),
        TextColumn(
            "{task.completed:,} files · {task.fields[events]:,} events · {task.fields[findings]:,} findings"
        ),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("scan", total=None, name="", events=0, findings=0)

        def advance(blob: Blob) -> None:
            stats = scanner.stats
            bar.update(task, advance=1, name=blob.name[-60:], events=stats.events, findings=stats.findings)

        scan_all(advance)


def _sigterm_as_interrupt() -> None:
    """SIGTERM (a stopped container, `kill`) ends the scan the way Ctrl-C does: whatever input was
    under way is not acknowledged (so it is read again), and buffered findings are given one quick
    delivery attempt and spooled otherwise."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
