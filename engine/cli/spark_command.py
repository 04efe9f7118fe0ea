"""`trailwarden spark-scan`: the scan as an Apache Spark job (engine.spark). The same rule and
input options as `scan`, the same summary and exit codes; findings go to a folder or S3 prefix as
one part per task, with `_summary.json` beside them."""

from __future__ import annotations

from typing import Any

import click

from engine.cli.loading import config_or_exit, load_or_exit
from engine.cli.options import (
    finding_options,
    input_options,
    rule_options,
    selection_options,
    summary_json_option,
)
from engine.cli.summary import print_summary, write_summary_json
from engine.detection.stateful.settings import DEFAULT_MAX_GROUPS
from engine.errors import TrailwardenError
from engine.formats import get_format
from engine.run import runnable_rules
from engine.sources import SourceOptions
from engine.spark.config import JobConfig
from engine.spark.job import run_scan
from engine.spark.output import SUMMARY, Destination
from engine.spark.report import JobSummary
from engine.spark.rules import plan_rules
from engine.spark.session import parse_conf, spark_session


@click.command("spark-scan")
@click.argument("sources", nargs=-1)
@rule_options
@selection_options
@finding_options
@input_options
@summary_json_option
@click.option(
    "--output",
    "-o",
    required=True,
    help="Folder or s3://bucket/prefix for the findings (one part per task) and _summary.json.",
)
@click.option(
    "--overwrite", is_flag=True, help="Replace the parts and summary of an earlier run at --output."
)
@click.option(
    "--max-groups",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_GROUPS,
    show_default=True,
    help="Stateful rules: open groups per rule in each window task before the least recently active is evicted.",
)
@click.option("--master", help="Spark master URL (default: spark-submit's, else local[2]).")
@click.option(
    "--partitions",
    type=click.IntRange(min=1),
    help="Scan tasks (files are grouped by size; default: two per core, more for large input).",
)
@click.option("--conf", "conf", multiple=True, help="A Spark setting, key=value; repeatable.")
def spark_scan(**params: Any) -> None:
    """Scan CloudTrail SOURCES (local files or folders, s3://bucket/prefix) as a Spark job."""
    if not params["sources"]:
        raise click.UsageError("give at least one SOURCE (a file, a folder, or s3://bucket/prefix)")
    scan = config_or_exit(params)
    ruleset = load_or_exit(scan.rule_paths, not scan.bundled, allow_errors=scan.skip_invalid_rules)
    try:
        rules = runnable_rules(ruleset, scan)
    except TrailwardenError as exc:
        click.echo(f"trailwarden: {exc}", err=True)
        raise SystemExit(2) from exc
    root = click.get_current_context().find_root().params
    config = JobConfig(
        rules=plan_rules(
            scan.rule_paths,
            bundled=scan.bundled,
            select=scan.select,
            exclude=scan.exclude,
            min_severity=scan.min_severity,
        ),
        scan=scan,
        output=params["output"],
        log_level=str(root.get("log_level") or "warning"),
        log_json=root.get("log_json"),
    )
    summary = _run(
        config,
        scan.sources,
        scan.source_options(),
        params["master"],
        params["partitions"],
        params["conf"],
        params["overwrite"],
    )
    report = summary.finish()
    report.rules_run = sum(1 for rule in rules if rule.rule.generate)
    report.rule_problems = len(ruleset.errors)
    destination = Destination.parse(config.output)
    report.delivery_lines.insert(
        0,
        f"Spark: {summary.scan_tasks} scan task(s), {summary.window_tasks} window task(s); "
        f"{summary.written:,} finding(s) written to {len(summary.parts)} part(s) in {destination.url}, "
        f"summary in {destination.child(SUMMARY)}.",
    )
    print_summary(report)
    write_summary_json(params.get("summary_json"), report)
    raise SystemExit(report.exit_code(scan.fail_on))


def _run(
    config: JobConfig,
    sources: tuple[str, ...],
    options: SourceOptions,
    master: str | None,
    partitions: int | None,
    conf: tuple[str, ...],
    overwrite: bool,
) -> JobSummary:
    try:
        get_format(config.format_name)  # an unknown format fails before Spark starts
        destination = Destination.parse(config.output)
        session, created = spark_session(master, parse_conf(conf))
    except TrailwardenError as exc:
        click.echo(f"trailwarden: {exc}", err=True)
        raise SystemExit(2) from exc
    _warn_if_local_paths(session, destination, sources)
    try:
        return run_scan(session, sources, options, config, partitions=partitions, overwrite=overwrite)
    except TrailwardenError as exc:
        click.echo(f"trailwarden: {exc}", err=True)
        raise SystemExit(exc.exit_code) from exc
    except Exception as exc:  # a failed Spark job (Py4JJavaError): its first line says why
        click.echo(f"trailwarden: the Spark job failed: {_first_line(exc)}", err=True)
        raise SystemExit(3) from exc
    finally:
        if created:
            session.stop()


def _warn_if_local_paths(session: Any, destination: Destination, sources: tuple[str, ...]) -> None:
    """On a cluster, a local path means each executor's own disk: parts land scattered over the
    nodes, and inputs must be on a filesystem every node mounts."""
    if str(session.sparkContext.master).startswith("local"):
        return
    if destination.bucket is None:
        click.echo(
            f"trailwarden: warning: --output {destination.url} is a local path on a cluster: each executor "
            "writes its parts to its own disk; use s3://bucket/prefix (or a shared filesystem)",
            err=True,
        )
    if any(not source.startswith("s3://") for source in sources):
        click.echo(
            "trailwarden: warning: local SOURCE paths must be readable at the same path on every executor",
            err=True,
        )


def _first_line(exc: BaseException) -> str:
    """What went wrong, in one line: a failed task's Python error (Spark wraps it in a Java stack
    trace) when there is one, else the error's first line."""
    text = str(exc).strip()
    if not text:
        return type(exc).__name__
    lines = text.splitlines()
    if "PythonException" in text:
        for i, line in enumerate(lines):
            if line.startswith("Traceback (most recent call last)"):
                tail = [ln for ln in lines[i:] if ln and not ln.startswith((" ", "\t"))]
                if len(tail) > 1:
                    return tail[1]
    return lines[0]
