"""Options shared by several commands, declared once."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

import click

from engine.rules.model import SEVERITIES, SEVERITY_RANK
from engine.sources import SourceOptions

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
    fn = click.option("--until", help="Only events before this time.")(fn)
    fn = click.option(
        "--since",
        help="Only events from this time on (files and S3 keys are pruned by their delivery time too).",
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


def parse_time(value: str | None) -> datetime | None:
    """A --since/--until value: a date or an ISO time, UTC unless it says otherwise."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise click.BadParameter(
            f"{value!r} is not a date or time (use 2026-11-01 or 2026-11-01T12:00:00Z)"
        ) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def split_list(text: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


def source_options(
    since: str | None,
    until: str | None,
    accounts: str | None,
    regions: str | None,
    profile: str | None,
    region: str | None,
    **more: Any,
) -> SourceOptions:
    """SourceOptions from the input options (and what else a command adds: follow, state…)."""
    return SourceOptions(
        since=parse_time(since),
        until=parse_time(until),
        accounts=split_list(accounts),
        regions=split_list(regions),
        profile=profile,
        region=region,
        **more,
    )


def exit_code(by_severity: Mapping[str, int], fail_on: str | None, incomplete: bool) -> int:
    """DESIGN.md's codes for a finished scan: 1 when a finding reaches --fail-on (the gate is the
    news a pipeline acts on, so it wins); else 3 when anything was incomplete (input unread, a
    finding undelivered, a rule file invalid); else 0."""
    if fail_on is not None:
        floor = SEVERITY_RANK[fail_on]
        if any(count and SEVERITY_RANK[sev] >= floor for sev, count in by_severity.items()):
            return 1
    return 3 if incomplete else 0
