"""`trailwarden scan`: the main job. Parse options into a ScanConfig, run it (engine.run), print
the summary the report makes, exit with the code the README fixes (0, 1, 2 or 3)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress

from engine import interrupts
from engine.cli.loading import config_or_exit, load_or_exit
from engine.cli.options import (
    finding_options,
    input_options,
    rule_options,
    selection_options,
    summary_json_option,
)
from engine.cli.summary import print_summary, printable, write_summary_json
from engine.detection.stateful.settings import DEFAULT_MAX_GROUPS, DEFAULT_MAX_WAITING
from engine.errors import TrailwardenError
from engine.parallel import default_workers
from engine.report import EXIT_INTERRUPTED, ScanReport
from engine.run import Progress, run_scan
from engine.types import Blob


@click.command()
@click.argument("sources", nargs=-1)
@rule_options
@selection_options
@finding_options
@input_options
@summary_json_option
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
    "--checkpoint-every",
    type=click.FloatRange(min=0, max=3600),
    help="With --state and no --follow: seconds between commits of progress (default 5); a restart "
    "after a crash reads again what was read since. A stream commits after each input.",
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
    "--follow; otherwise the scan waits for the end of its input (with --state too), so file order never matters.",
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
def scan(**params: Any) -> None:
    """Scan CloudTrail SOURCES (files, folders, '-', s3://bucket/prefix, sqs://queue, cloudtrail-api://region)."""
    if not params["sources"]:
        raise click.UsageError("give at least one SOURCE (a file, a folder, '-' for stdin, or s3://…)")
    config = config_or_exit(params, workers=params["workers"] or default_workers())
    interrupts.install()  # Ctrl-C and SIGTERM: never inside a state-file write; twice: spool now
    try:
        ruleset = load_or_exit(config.rule_paths, not config.bundled, allow_errors=config.skip_invalid_rules)
    except KeyboardInterrupt:
        _say("interrupted while loading the rules: nothing was scanned")
        raise SystemExit(EXIT_INTERRUPTED) from None
    show_progress = sys.stderr.isatty() if params["progress"] is None else params["progress"]
    try:
        with _progress_bar(show_progress) as progress:
            report = run_scan(config, ruleset=ruleset, progress=progress, notify=_say)
    except KeyboardInterrupt:  # while outputs were still being opened: nothing was read
        _say("interrupted before any input was read")
        raise SystemExit(EXIT_INTERRUPTED) from None
    except TrailwardenError as exc:
        _say(f"trailwarden: {exc}")
        raise SystemExit(exc.exit_code) from exc
    if report.stopped and not (report.interrupted or report.reader_gone):
        _say(f"trailwarden: {report.stopped}")
    if report.interrupted:
        interrupts.ignore_from_now()  # what was found is out or spooled: nothing left to stop
    try:
        print_summary(report)
    except (BrokenPipeError, SystemExit):  # `2>&1 | head`: the summary's reader left (rich says
        _silence_stderr()  # so with SystemExit(1)); the scan's own exit code stands
    write_summary_json(params.get("summary_json"), report)
    raise SystemExit(report.exit_code(config.fail_on))


def _silence_stderr() -> None:
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stderr.fileno())
        os.close(devnull)


def _say(text: str) -> None:
    click.echo(text, err=True)


@contextmanager
def _progress_bar(show: bool) -> Iterator[Progress | None]:
    if not show:
        yield None
        return
    console = Console(stderr=True)
    with RichProgress(
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

        def advance(blob: Blob, report: ScanReport) -> None:
            name = printable(blob.name[-60:])
            bar.update(task, advance=1, name=name, events=report.events, findings=report.findings)

        yield advance
