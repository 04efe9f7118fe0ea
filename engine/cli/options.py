"""Options shared by several commands, declared once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from engine.types import SEVERITIES

F = TypeVar("F", bound=Callable[..., Any])

SEVERITY = click.Choice(SEVERITIES, case_sensitive=False)


def rule_options(fn: F) -> F:
    """--rules / --no-bundled: which rule files are loaded."""
    fn = click.option(
        "--no-bundled",
        is_flag=True,
        help="Do not load the bundled rule packs (rules/eks, rules/cloudtrail, …).",
    )(fn)
    fn = click.option(
        "--rules",
        "rule_paths",
        multiple=True,
        type=click.Path(),
        help="A rule file or folder (recursive); repeatable. Loaded after the bundled packs.",
    )(fn)
    return fn


def selection_options(fn: F) -> F:
    """--select / --exclude / --min-severity: which loaded rules run."""
    fn = click.option("--min-severity", type=SEVERITY, help="Run only rules of this severity or above.")(fn)
    fn = click.option(
        "--exclude", multiple=True, help="Rule id, glob (eks-*) or tag:<tag> to leave out; repeatable."
    )(fn)
    fn = click.option(
        "--select", multiple=True, help="Rule id, glob (eks-*) or tag:<tag> to run; repeatable."
    )(fn)
    return fn


def input_options(fn: F) -> F:
    """--since/--until/--accounts/--regions/--profile/--region: which events, read how."""
    fn = click.option("--region", help="AWS region for the AWS clients.")(fn)
    fn = click.option("--profile", help="AWS profile for S3, SQS and CloudTrail API sources.")(fn)
    fn = click.option(
        "--regions", help="Comma-separated regions: only their events (files and S3 keys are pruned too)."
    )(fn)
    fn = click.option(
        "--accounts",
        help="Comma-separated account ids: only their events (files and S3 keys are pruned too).",
    )(fn)
    fn = click.option(
        "--until", help="Only events before this time (a date, an ISO time, or 24h / 7d back)."
    )(fn)
    fn = click.option(
        "--since",
        help="Only events from this time on: a date, an ISO time, or a time back from now (24h, 7d); "
        "files and S3 keys are pruned by their delivery time too.",
    )(fn)
    return fn


def finding_options(fn: F) -> F:
    """--format/--fail-on/--no-evidence/--skip-invalid-rules: what findings look like, and the gate."""
    fn = click.option(
        "--skip-invalid-rules",
        is_flag=True,
        help="Run the valid rules even when some rule files are invalid (exit 3).",
    )(fn)
    fn = click.option("--no-evidence", is_flag=True, help="Leave the CloudTrail record out of findings.")(fn)
    fn = click.option(
        "--fail-on", type=SEVERITY, help="Exit 1 when a finding of this severity or above is made."
    )(fn)
    fn = click.option(
        "--format",
        "format_name",
        default="native",
        show_default=True,
        help="Finding format: native, ocsf, ecs, asff, cef or hec.",
    )(fn)
    return fn


def summary_json_option(fn: F) -> F:
    """--summary-json FILE: the scan's report as JSON (schemas/summary.schema.json)."""
    return click.option(
        "--summary-json",
        type=click.Path(dir_okay=False, allow_dash=True),
        help="Also write the summary as JSON to this file ('-' for stderr); see schemas/summary.schema.json.",
    )(fn)
