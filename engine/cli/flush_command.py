"""`trailwarden flush`: send what the delivery spool holds, without scanning anything."""

from __future__ import annotations

import click

from engine.errors import SinkError, TrailwardenError
from engine.sinks.flush import flush_spool


@click.command()
@click.option(
    "--state",
    "state_path",
    type=click.Path(dir_okay=False),
    help="The --state file the scans used (default: the fallback spool).",
)
@click.option(
    "--sink",
    "sinks",
    multiple=True,
    help="Flush only these sink URLs (default: every sink with findings waiting).",
)
@click.option(
    "--sinks-config", type=click.Path(exists=True, dir_okay=False), help="Flush the sinks of this YAML file."
)
@click.option(
    "--include-rejected",
    is_flag=True,
    help="Also re-send findings a destination refused (after fixing a token or mapping).",
)
def flush(
    state_path: str | None, sinks: tuple[str, ...], sinks_config: str | None, include_rejected: bool
) -> None:
    """Deliver spooled findings. Exit 0 when nothing waits afterwards, 3 while some findings still
    wait in the spool (pending, or rejected: `--include-rejected` re-sends those)."""
    target: str | list[str] | None = sinks_config or (list(sinks) if sinks else None)
    try:
        report = flush_spool(state_path, target, include_rejected=include_rejected)
    except TrailwardenError as exc:
        click.echo(f"trailwarden: {exc}", err=True)
        raise SystemExit(exc.exit_code) from exc
    for line in report.lines():
        click.echo(line, err=True)
    if not report.sinks:
        click.echo("the spool is empty: nothing to flush", err=True)
    # Rejected findings still waiting count too: flush is done only when the spool is empty.
    raise SystemExit(SinkError.exit_code if report.exit_code or report.waiting else 0)
